/**
 * `rotator chat [--port N]`: the Slack endpoint (the `/rotator` slash command and the grace
 * buttons, at /slack/events) until SIGINT/SIGTERM. Slack's credentials come from the
 * environment only: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN (and SLACK_API_URL to call another
 * Web API base URL). Port: --port, else PORT, else 3000.
 */
import { JsonLinesAuditSink } from '../../activities/audit';
import { startChatServer } from '../../chat/app';
import { loadChatConfig, SLACK_EVENTS_PATH } from '../../chat/config';
import { createLogger } from '../../client/logger';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';

/** Parses --port: a whole number from 0 (any free port) to 65535. */
export function portArg(text: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n > 65535) throw new CliError(`--port: "${text}" is not a port number (0-65535)`, EXIT.refused);
  return n;
}

export async function runChat(ctx: CliContext, o: { port?: number }): Promise<void> {
  const log = createLogger('rotator-chat');
  const config = loadChatConfig(process.env, o.port);
  const inventory = ctx.inventory();
  const server = await startChatServer({
    config,
    inventory,
    client: await ctx.client(),
    taskQueue: ctx.config.taskQueue,
    audit: new JsonLinesAuditSink(config.auditLog),
    log,
  });
  log.info(
    { port: server.port, path: SLACK_EVENTS_PATH, address: ctx.config.address, namespace: ctx.config.namespace, taskQueue: ctx.config.taskQueue, inventory: ctx.config.inventoryPath, auditLog: config.auditLog },
    'chat endpoint listening; stop with SIGINT or SIGTERM',
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.stop();
  log.info('chat endpoint stopped');
}
