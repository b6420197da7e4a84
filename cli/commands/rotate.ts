/**
 * `rotator rotate <id> [--grace D] [--wait] [--join]` and the steering commands
 * (`skip-grace`, `extend-grace D`, `approve`, `abort`).
 */
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { PlanError, rotationPlan } from '../../client/plans';
import { AlreadyRunningError, rotationWorkflowId, startRotation } from '../../client/rotations';
import { DurationError, formatDuration, parseDuration } from '../../inventory';
import { abortUpdate, approveUpdate, extendGraceUpdate, progressQuery, skipGraceUpdate } from '../../workflows/messages';
import type { RotationProgress, RotationResult, StepProgress } from '../../workflows/types';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';

/** Who the operator is, for approval rules and audit: ROTATOR_ACTOR or the login name. */
export const operator = () => process.env.ROTATOR_ACTOR ?? userInfo().username;

export function durationArg(text: string, what: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    if (err instanceof DurationError) throw new CliError(`${what}: "${text}" is not a duration (e.g. 30s, 15m, 1h30m, 7d)`, EXIT.refused);
    throw err;
  }
}

export async function rotate(ctx: CliContext, secretId: string, o: { grace?: string; wait?: boolean; join?: boolean }): Promise<void> {
  const graceMs = o.grace === undefined ? undefined : durationArg(o.grace, '--grace');
  let handle: WorkflowHandle;
  try {
    const plan = rotationPlan(ctx.inventory(), secretId, { graceMs, requestedBy: operator() });
    handle = await startRotation(await ctx.client(), ctx.config.taskQueue, plan, { join: o.join });
  } catch (err) {
    if (err instanceof AlreadyRunningError || err instanceof PlanError) throw new CliError(err.message, EXIT.refused);
    throw err;
  }
  process.stdout.write(`rotation of ${secretId} started (workflow ${handle.workflowId})\n`);
  if (!o.wait) return;
  const result = await follow(handle, process.stdout);
  if (result.outcome !== 'rotated') process.exitCode = EXIT.failed;
}

const icon: Record<StepProgress['status'], string> = { running: '…', done: '✓', failed: '✗', compensated: '↺', skipped: '-' };
const took = (s: StepProgress) => (s.endedAt ? ` (${formatDuration(Date.parse(s.endedAt) - Date.parse(s.startedAt))})` : '');

/** Prints each step as it finishes, the grace countdown, then the outcome. */
export async function follow(handle: WorkflowHandle, out: NodeJS.WritableStream, pollMs = Number(process.env.ROTATOR_POLL_MS ?? 500)): Promise<RotationResult> {
  const printed = new Set<string>();
  let lastCountdown = '';
  const show = (p: RotationProgress) => {
    p.steps.forEach((s, i) => {
      const key = `${i}:${s.status}`;
      if (s.status === 'running' || printed.has(key)) return;
      printed.add(key);
      out.write(`  ${icon[s.status]} ${s.name}${took(s)}${s.detail ? `: ${s.detail}` : ''}\n`);
    });
    const countdown =
      p.phase === 'grace' && p.graceEndsAt !== undefined
        ? // from the end time: a query sees the workflow's clock as of its last activation
          `  … grace period: ${formatDuration(Math.max(0, Math.ceil((Date.parse(p.graceEndsAt) - Date.now()) / 1000)) * 1000)} left${p.oldAccountSessions !== undefined ? `, ${p.oldAccountSessions} old session(s)` : ''}`
        : p.phase === 'awaiting-approval'
          ? `  … awaiting approval by someone other than ${p.awaitingApproval?.requestedBy ?? 'the requester'} until ${p.awaitingApproval?.deadline}`
          : '';
    if (countdown && countdown !== lastCountdown) out.write(`${countdown}\n`);
    lastCountdown = countdown;
  };
  const done = handle.result() as Promise<RotationResult>;
  let finished = false;
  void done.then(() => (finished = true), () => (finished = true));
  while (!finished) {
    try {
      show(await handle.query(progressQuery));
    } catch {
      // the query can race the workflow's completion; the result tells the rest
    }
    await Promise.race([done.catch(() => undefined), sleep(pollMs)]);
  }
  const result = await done;
  show({ secretId: result.secretId, phase: 'finished', steps: result.steps });
  out.write(`${result.outcome === 'rotated' ? 'rotated' : result.outcome}: ${result.secretId}${result.activeAccount ? ` now uses ${result.activeAccount}` : ''}${result.reason ? ` (${result.failedStep}: ${result.reason})` : ''}\n`);
  return result;
}

type Steer = 'skip-grace' | 'extend-grace' | 'approve' | 'abort';

/** Sends a steering update to the running rotation; a refusal exits 2 with the workflow's reason. */
export async function steer(ctx: CliContext, action: Steer, secretId: string, arg?: string): Promise<void> {
  const handle = (await ctx.client()).workflow.getHandle(rotationWorkflowId(secretId));
  const by = operator();
  try {
    if (action === 'skip-grace') await handle.executeUpdate(skipGraceUpdate, { args: [{ by }] });
    if (action === 'extend-grace') await handle.executeUpdate(extendGraceUpdate, { args: [{ by, ms: durationArg(arg ?? '', 'extend-grace') }] });
    if (action === 'approve') await handle.executeUpdate(approveUpdate, { args: [{ by }] });
    if (action === 'abort') await handle.executeUpdate(abortUpdate, { args: [{ by, reason: arg }] });
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test(String((err as Error).message))) {
      throw new CliError(`no rotation of ${secretId} is running`, EXIT.refused);
    }
    const reason = (err as { cause?: Error }).cause?.message;
    if (reason) throw new CliError(`refused: ${reason}`, EXIT.refused);
    throw err;
  }
  process.stdout.write(`${action}: sent to the rotation of ${secretId}\n`);
}
