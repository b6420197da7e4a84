/**
 * Chat decisions in the audit trail. They are ordinary `AuditRecord`s, appended by the same
 * `JsonLinesAuditSink` (mode 0600, one datasync'ed line each) to the same file as the
 * workers' store operations, so one trail answers "who started, steered or was refused what":
 *
 * - `operation` is `chat.<what>` (chat.leak, chat.rotate, chat.status, chat.skipGrace, chat.abort);
 * - `store` / `ref` name the secret the request was about;
 * - `outcome` is `ok` (started, sent), `AccessDenied` (the inventory does not allow the
 *   caller), `Conflict` (a duplicate delivery, or one already running) or `error`;
 * - `detail` carries the Slack user and channel ids and our own one-line reason, never
 *   anything a person typed.
 */
import type { AuditRecord, AuditSink } from '../activities/audit';
import type { SecretSpec } from '../inventory';
import type { SlackCaller } from './authorise';

/** What chat decided about a request. */
export type ChatDecision = 'started' | 'sent' | 'answered' | 'refused' | 'duplicate' | 'already-running' | 'failed';

const OUTCOME: Record<ChatDecision, AuditRecord['outcome']> = {
  started: 'ok',
  sent: 'ok',
  answered: 'ok',
  refused: 'AccessDenied',
  duplicate: 'Conflict',
  'already-running': 'Conflict',
  failed: 'error',
};

/** One chat decision as an audit record. */
export function chatAuditRecord(o: {
  spec: Pick<SecretSpec, 'store' | 'path'>;
  operation: string;
  caller: SlackCaller;
  decision: ChatDecision;
  workflowId?: string;
  reason?: string;
  time?: Date;
}): AuditRecord {
  return {
    time: (o.time ?? new Date()).toISOString(),
    actor: 'rotator',
    store: o.spec.store,
    ref: o.spec.path,
    operation: `chat.${o.operation}`,
    outcome: OUTCOME[o.decision],
    workflowId: o.workflowId,
    detail: {
      decision: o.decision,
      slackUser: o.caller.userId,
      slackChannel: o.caller.channelId,
      ...(o.reason ? { reason: o.reason } : {}),
    },
  };
}

/** Appends chat decisions; a failing audit write is reported to `onError`, never to the person in chat. */
export class ChatAudit {
  constructor(private readonly sink: AuditSink, private readonly onError: (err: unknown) => void) {}

  async record(r: Parameters<typeof chatAuditRecord>[0]): Promise<void> {
    try {
      await this.sink.record(chatAuditRecord(r));
    } catch (err) {
      this.onError(err);
    }
  }
}
