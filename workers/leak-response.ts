/**
 * The leak response's worker-side settings, parsed once from the environment at worker start,
 * and the clients built from them: a Temporal client (to stop a running rotation), each Vault
 * store's token operations and audit log, the PostgreSQL server log, the notification sinks,
 * and the post-mortem directory.
 *
 *   ROTATOR_LEAK_WEBHOOK_URL   notifications are POSTed here as JSON (optional; always logged)
 *   ROTATOR_POSTMORTEM_DIR     post-mortems are written here (default .rotator/postmortems)
 *   ROTATOR_VAULT_AUDIT_LOG    the Vault/OpenBao file audit device's log, readable by the worker
 *   ROTATOR_PG_LOG_FILE        the PostgreSQL server log (log_connections = on)
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { LeakResponseDeps } from '../activities/index';
import { vaultAccessFromInventory } from '../activities/incident/vault-tokens';
import { LogSink } from '../activities/notify/log';
import { WebhookSink } from '../activities/notify/webhook';
import { SlackSink } from '../chat/slack-sink';
import { ConfigError } from '../client/config';
import type { Inventory } from '../inventory';

const isHttpUrl = (v: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
};
const httpUrl = z.string().refine(isHttpUrl, { error: 'expected an http(s) URL' });

const LeakEnv = z.object({
  ROTATOR_LEAK_WEBHOOK_URL: httpUrl.optional(),
  ROTATOR_POSTMORTEM_DIR: z.string().min(1).default('.rotator/postmortems'),
  ROTATOR_VAULT_AUDIT_LOG: z.string().min(1).optional(),
  ROTATOR_PG_LOG_FILE: z.string().min(1).optional(),
});

/** The leak response's settings; none is secret except the webhook URL, which is never printed. */
export type LeakEnv = z.output<typeof LeakEnv>;

/** Reads the settings; a ConfigError names the variable, never its value. */
export function loadLeakEnv(env: NodeJS.ProcessEnv = process.env): LeakEnv {
  const parsed = LeakEnv.safeParse(env);
  if (!parsed.success) throw new ConfigError(`environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The leak response's dependencies, for createActivities({ …, leak }). */
export function leakResponseDeps(e: LeakEnv, o: { inventory: Pick<Inventory, 'stores'>; client: Client; rotatorAuditLog: string; log: Logger }): LeakResponseDeps {
  const slack = SlackSink.fromEnv();
  return {
    rotations: o.client.workflow,
    vault: vaultAccessFromInventory(o.inventory, { auditLog: e.ROTATOR_VAULT_AUDIT_LOG }),
    pgLogFile: e.ROTATOR_PG_LOG_FILE,
    rotatorAuditLog: o.rotatorAuditLog,
    postMortemDir: e.ROTATOR_POSTMORTEM_DIR,
    sinks: [
      new LogSink(o.log.child({ component: 'leak-response' })),
      ...(e.ROTATOR_LEAK_WEBHOOK_URL ? [new WebhookSink({ url: e.ROTATOR_LEAK_WEBHOOK_URL })] : []),
      // SLACK_BOT_TOKEN (and SLACK_API_URL): the incident's thread in the secret's channel
      ...(slack ? [slack] : []),
    ],
  };
}
