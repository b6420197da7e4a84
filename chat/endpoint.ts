/**
 * The chat endpoint's handlers: the `/rotator` slash command and the grace-period buttons.
 * Each acknowledges first (Slack waits 3 s), then checks the caller against the inventory,
 * then acts; every decision about a secret is audited. Why a re-delivered request never
 * starts a second workflow is explained in chat/app.ts.
 */
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditSink } from '../activities/audit';
import { incidentWorkflowId, leakPlan, startLeakResponse } from '../client/leaks';
import { PlanError, rotationPlan } from '../client/plans';
import { AlreadyRunningError, rotationWorkflowId, startRotation } from '../client/rotations';
import { secretStatus } from '../client/status';
import type { Inventory, SecretSpec } from '../inventory';
import { abortUpdate, skipGraceUpdate } from '../workflows/messages';
import { ChatAudit, type ChatDecision } from './audit';
import { authorise, type SlackCaller } from './authorise';
import { type ChatCommand, type ChatOperation, ChatUsageError, parseCommand } from './commands';
import type { ChatConfig } from './config';
import { RecentIds } from './dedupe';
import { errorName, followRotation, type RotationWorkflow, Waker } from './follow';
import {
  ACTION,
  helpMessage,
  leakStartedMessage,
  refusalMessage,
  rotationStartedMessage,
  statusMessage,
  type SteerAction,
  steerRefusedMessage,
  steerSentMessage,
  type SteerTarget,
} from './messages';
import { type PostedMessage, type SlackMessage, SlackThreads, slackErrorCode } from './slack-threads';

/** What the endpoint is built from: settings, the inventory, Temporal, the audit trail. */
export interface ChatDeps {
  config: ChatConfig;
  inventory: Inventory;
  client: Client;
  taskQueue: string;
  audit: AuditSink;
  log: Logger;
}

type Ephemeral = { response_type: 'ephemeral'; text: string };
const ephemeral = (text: string): Ephemeral => ({ response_type: 'ephemeral', text });

const SteerValue = z.object({ secretId: z.string().regex(/^[a-z0-9_-]{1,100}$/), workflowId: z.string().min(1).max(300), runId: z.string().min(1).max(100) });
const STEER_ACTIONS: SteerAction[] = ['skipGrace', 'abort'];
const VERB: Record<Exclude<ChatOperation, 'steer'>, string> = { leak: 'report a leak of', rotate: 'rotate', status: 'see the status of' };

/** The handlers, over injected dependencies. */
export class ChatEndpoint {
  private readonly recent = new RecentIds();
  private readonly audit: ChatAudit;
  private readonly following = new Set<Promise<unknown>>();
  /** The followers in this process, by `<workflowId>/<runId>`: a click applied here wakes its run's follower. */
  private readonly wakers = new Map<string, Waker>();
  private readonly stopping = new AbortController();

  constructor(private readonly d: ChatDeps, private readonly threads: SlackThreads) {
    this.audit = new ChatAudit(d.audit, (err) => d.log.error({ err: errorName(err) }, 'could not write a chat audit record'));
  }

  register(app: App): void {
    app.command('/rotator', async ({ command, ack, respond, context }) => {
      const caller = { userId: command.user_id, channelId: command.channel_id };
      const requestTime = Number(context.requestTimestamp);
      await this.onCommand(command.text, command.trigger_id, caller, Number.isFinite(requestTime) ? new Date(requestTime * 1000) : new Date(), context.retryNum, {
        ack: (text) => ack(ephemeral(text)),
        respond: async (text) => void (await respond(ephemeral(text))),
      });
    });
    for (const action of STEER_ACTIONS) {
      app.action<BlockAction<ButtonAction>>(ACTION[action], async ({ ack, body, action: button, respond }) => {
        await ack();
        const caller = { userId: body.user.id, channelId: body.channel?.id ?? body.container?.channel_id ?? '' };
        const at = body.message ? { channel: caller.channelId, ts: body.message.thread_ts ?? body.message.ts } : undefined;
        await this.onSteer(action, button.value, body.trigger_id, caller, at, async (text) => void (await respond(ephemeral(text))));
      });
    }
    app.error(async (err) => {
      this.d.log.error({ err: errorName(err) }, 'a chat handler failed');
    });
  }

  async stopFollowing(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.following]);
  }

  private async onCommand(
    text: string,
    triggerId: string,
    caller: SlackCaller,
    requestTime: Date,
    retryNum: number | undefined,
    reply: { ack(text: string): Promise<void>; respond(text: string): Promise<void> },
  ): Promise<void> {
    let cmd: ChatCommand;
    try {
      cmd = parseCommand(text);
    } catch (err) {
      if (!(err instanceof ChatUsageError)) throw err;
      return reply.ack(`${err.message}\n${helpMessage()}`);
    }
    if (cmd.kind === 'help') return reply.ack(helpMessage());
    const spec = this.d.inventory.secrets.find((s) => s.id === cmd.secretId);
    if (!spec) return reply.ack(`There is no secret \`${cmd.secretId}\` in the inventory. Nothing was started.`);

    const allowed = authorise(spec, cmd.kind, caller);
    if (!allowed.allowed) {
      await reply.ack(refusalMessage({ operation: VERB[cmd.kind], secretId: spec.id, owners: spec.owners }));
      return this.audit.record({ spec, operation: cmd.kind, caller, decision: 'refused', reason: allowed.reason });
    }
    if (cmd.kind === 'status') {
      await reply.ack(`Looking up \`${spec.id}\`…`);
      await reply.respond(await this.status(spec)).catch(this.logReplyFailure);
      return this.audit.record({ spec, operation: 'status', caller, decision: 'answered' });
    }
    if (!this.recent.firstTime(triggerId)) {
      this.d.log.info({ secretId: spec.id, retryNum, operation: cmd.kind }, 'a repeated delivery of a chat command: nothing started');
      await reply.ack('This command was already received; nothing new was started.');
      return this.audit.record({ spec, operation: cmd.kind, caller, decision: 'duplicate' });
    }
    if (cmd.kind === 'rotate') {
      await reply.ack(`Starting a rotation of \`${spec.id}\`…`);
      return this.rotate(spec, caller, reply.respond);
    }
    await reply.ack(`Starting the leak response for \`${spec.id}\`…`);
    return this.leak(spec, cmd.where, requestTime, caller, reply.respond);
  }

  private async rotate(spec: SecretSpec, caller: SlackCaller, respond: (text: string) => Promise<void>): Promise<void> {
    let decision: ChatDecision = 'started';
    let workflowId = rotationWorkflowId(spec.id);
    let reason: string | undefined;
    let target: SteerTarget | undefined;
    try {
      const plan = rotationPlan(this.d.inventory, spec.id, { requestedBy: `slack:${caller.userId}` });
      const started = await startRotation(this.d.client, this.d.taskQueue, plan);
      workflowId = started.workflowId;
      target = { secretId: spec.id, workflowId, runId: started.firstExecutionRunId };
    } catch (err) {
      if (err instanceof AlreadyRunningError) [decision, reason] = ['already-running', `a rotation of ${spec.id} is already running`];
      else if (err instanceof PlanError) [decision, reason] = ['failed', err.message];
      else [decision, reason] = ['failed', `the rotation could not be started (${errorName(err)})`];
      await respond(`Not started: ${reason}.${decision === 'already-running' ? ` See \`/rotator status ${spec.id}\`.` : ''}`).catch(this.logReplyFailure);
    }
    await this.audit.record({ spec, operation: 'rotate', caller, decision, workflowId, reason });
    if (target) await this.follow(target, spec.channel ?? caller.channelId, caller, respond);
  }

  /** Opens the run's thread in `channel`, then follows the run in the background; tells the requester if Slack refused the thread. */
  private async follow(target: SteerTarget, channel: string, caller: SlackCaller, respond: (text: string) => Promise<void>): Promise<void> {
    const key = `${target.workflowId}/${target.runId}`;
    const writer = {
      post: (m: SlackMessage) => this.threads.post(key, channel, m),
      update: (at: PostedMessage, m: SlackMessage) => this.threads.update(at, m),
    };
    try {
      await writer.post(rotationStartedMessage({ secretId: target.secretId, workflowId: target.workflowId, userId: caller.userId }));
    } catch (err) {
      // the rotation runs regardless; without its thread, say so and where to look instead
      await respond(`The rotation of \`${target.secretId}\` started (workflow \`${target.workflowId}\`), but its thread could not be posted in ${channel} (${slackErrorCode(err)}): invite the app there, and follow it with \`/rotator status ${target.secretId}\`.`).catch(this.logReplyFailure);
      return;
    }
    const handle = this.d.client.workflow.getHandle<RotationWorkflow>(target.workflowId, target.runId);
    const waker = new Waker();
    this.wakers.set(key, waker);
    const run = followRotation(handle, target, writer, { pollMs: this.d.config.pollMs, log: this.d.log, signal: this.stopping.signal, waker })
      .catch((err: unknown) => this.d.log.warn({ err: errorName(err), workflowId: target.workflowId }, 'stopped following a rotation in Slack'))
      .finally(() => {
        this.wakers.delete(key);
        this.following.delete(run);
      });
    this.following.add(run);
  }

  private async leak(spec: SecretSpec, where: string, detectedAt: Date, caller: SlackCaller, respond: (text: string) => Promise<void>): Promise<void> {
    let decision: ChatDecision = 'started';
    let workflowId: string | undefined;
    let reason: string | undefined;
    try {
      const plan = leakPlan(this.d.inventory, spec.id, { where, detectedAt: detectedAt.toISOString(), reporter: `slack:${caller.userId}` });
      workflowId = plan.workflowId;
      // one incident per secret: a second report while one is open joins it, whoever sends it
      const open = await this.openIncident(spec.id);
      if (open) [decision, workflowId, reason] = ['already-running', open, `an incident for ${spec.id} is already open`];
      else if (await this.exists(plan.workflowId)) [decision, reason] = ['duplicate', 'this report was already received and handled'];
      else if ((await startLeakResponse(this.d.client, this.d.taskQueue, plan)).joined) [decision, reason] = ['already-running', `an incident for ${spec.id} is already open`];
    } catch (err) {
      decision = 'failed';
      reason = err instanceof PlanError ? err.message : `the leak response could not be started (${errorName(err)})`;
    }
    const text =
      decision === 'started' && workflowId
        ? leakStartedMessage({ secretId: spec.id, workflowId, userId: caller.userId, channel: spec.channel })
        : decision === 'already-running' || decision === 'duplicate'
          ? `Not started again: ${reason} (workflow \`${workflowId}\`); its thread is in ${spec.channel ?? 'the secret\'s channel'}.`
          : `Not started: ${reason}.`;
    await respond(text).catch(this.logReplyFailure);
    await this.audit.record({ spec, operation: 'leak', caller, decision, workflowId, reason });
  }

  /** The id of a running incident of this secret, if the visibility store knows one yet. */
  private async openIncident(secretId: string): Promise<string | undefined> {
    const query = `WorkflowType = 'respondToLeak' AND ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH '${incidentWorkflowId(secretId, '')}'`;
    for await (const w of this.d.client.workflow.list({ query, pageSize: 1 })) return w.workflowId;
    return undefined;
  }

  /** Whether a run with this id exists, open or closed: the same signed report, delivered again. */
  private async exists(workflowId: string): Promise<boolean> {
    try {
      await this.d.client.workflow.getHandle(workflowId).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  private async status(spec: SecretSpec): Promise<string> {
    try {
      return statusMessage((await secretStatus(this.d.client, spec)).status);
    } catch (err) {
      return `The status of \`${spec.id}\` could not be read right now (${errorName(err)}).`;
    }
  }

  private async onSteer(
    action: SteerAction,
    value: string | undefined,
    triggerId: string,
    caller: SlackCaller,
    at: PostedMessage | undefined,
    respond: (text: string) => Promise<void>,
  ): Promise<void> {
    const parsed = SteerValue.safeParse(safeJson(value));
    const spec = parsed.success ? this.d.inventory.secrets.find((s) => s.id === parsed.data.secretId) : undefined;
    if (!parsed.success || !spec || parsed.data.workflowId !== rotationWorkflowId(spec.id)) {
      return respond('This button does not belong to a rotation rotator knows; nothing was changed.').catch(this.logReplyFailure);
    }
    const target = parsed.data;
    const operation = action; // chat.skipGrace, chat.abort in the audit log
    const allowed = authorise(spec, 'steer', caller);
    if (!allowed.allowed) {
      await respond(refusalMessage({ operation: 'steer the rotation of', secretId: spec.id, owners: spec.owners })).catch(this.logReplyFailure);
      return this.audit.record({ spec, operation, caller, decision: 'refused', workflowId: target.workflowId, reason: allowed.reason });
    }
    if (!this.recent.firstTime(triggerId)) return this.audit.record({ spec, operation, caller, decision: 'duplicate', workflowId: target.workflowId });

    const handle = this.d.client.workflow.getHandle(target.workflowId, target.runId);
    const by = `slack:${caller.userId}`;
    try {
      if (action === 'abort') await handle.executeUpdate(abortUpdate, { args: [{ by, reason: 'from Slack' }] });
      else await handle.executeUpdate(skipGraceUpdate, { args: [{ by }] });
    } catch (err) {
      const reason = steerFailure(err);
      await respond(steerRefusedMessage(action, reason)).catch(this.logReplyFailure);
      return this.audit.record({ spec, operation, caller, decision: 'failed', workflowId: target.workflowId, reason });
    }
    this.wakers.get(`${target.workflowId}/${target.runId}`)?.poke();
    await this.audit.record({ spec, operation, caller, decision: 'sent', workflowId: target.workflowId });
    if (at) await this.threads.reply(at, steerSentMessage(action, caller.userId)).catch(this.logReplyFailure);
  }

  private readonly logReplyFailure = (err: unknown) => this.d.log.warn({ err: errorName(err) }, 'could not answer in Slack');
}

/** Why an update was not applied: the run is over, or the workflow's validator refused it (a reason we wrote). */
function steerFailure(err: unknown): string {
  if (err instanceof WorkflowNotFoundError) return 'the rotation is no longer running';
  const cause = (err as { cause?: unknown }).cause;
  if (/already completed|not found/i.test(cause instanceof Error ? cause.message : err instanceof Error ? err.message : '')) return 'the rotation is no longer running';
  if (err instanceof WorkflowUpdateFailedError && cause instanceof ApplicationFailure) return cause.message;
  return `the rotation could not be reached (${errorName(err)})`;
}

function safeJson(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
