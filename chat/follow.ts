/**
 * Following a rotation started from chat. A rotation knows nothing about Slack (it runs the
 * same for the CLI and schedules); the chat endpoint that started it reads its `progress`
 * query and writes the thread: each step as it finishes, the grace-period message with the
 * Skip grace / Abort buttons when the grace period begins (the buttons go once it is over),
 * and the outcome. The buttons themselves are handled statelessly (their value names the run),
 * so they keep working even if this process restarts and the following stops.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { Logger } from 'pino';
import { progressQuery } from '../workflows/messages';
import type { RotationProgress, RotationResult } from '../workflows/types';
import { graceMessage, graceOverMessage, outcomeMessage, stepMessage, type SteerTarget } from './messages';
import type { PostedMessage, SlackMessage } from './slack-threads';

/** Any rotation workflow: whatever its kind, it answers `progress` and ends with a RotationResult. */
export type RotationWorkflow = (...args: unknown[]) => Promise<RotationResult>;

/** Where the follower writes: replies in the run's thread, and edits of its own messages. */
export interface ThreadWriter {
  post(m: SlackMessage): Promise<PostedMessage>;
  update(at: PostedMessage, m: SlackMessage): Promise<void>;
}

/** Lets a handler cut a follower's wait short: a button click this process applied changes the run now. */
export class Waker {
  private wake?: () => void;

  /** Resolves at the next poke. */
  next(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  poke(): void {
    this.wake?.();
  }
}

/** Reads progress every `pollMs`; while the run only waits (grace, approval) ten times less often, at most every 30 s. */
const interval = (phase: RotationProgress['phase'] | undefined, pollMs: number) => (phase === 'grace' || phase === 'awaiting-approval' ? Math.min(30_000, Math.max(pollMs, pollMs * 10)) : pollMs);

/** Posts the run's progress into its thread until the run ends or `signal` aborts; returns the result, if there is one. */
export async function followRotation(
  handle: WorkflowHandle<RotationWorkflow>,
  target: SteerTarget,
  thread: ThreadWriter,
  o: { pollMs: number; log: Logger; signal?: AbortSignal; waker?: Waker },
): Promise<RotationResult | undefined> {
  const posted = new Set<string>();
  let grace: PostedMessage | undefined;
  let graceClosed = false;

  const show = async (p: Pick<RotationProgress, 'phase' | 'steps'> & Partial<RotationProgress>) => {
    for (const [i, s] of p.steps.entries()) {
      const key = `${i}:${s.status}`;
      if (s.status === 'running' || posted.has(key)) continue;
      await thread.post(stepMessage(s));
      posted.add(key);
    }
    if (p.phase === 'grace' && !grace) grace = await thread.post(graceMessage(target, { secretId: target.secretId, ...p }));
    if (grace && p.phase !== 'grace' && !graceClosed) {
      const step = p.steps.find((s) => s.name === 'grace period');
      const how = step?.status === 'done' ? 'over; the previous credential is being retired' : 'ended early; rolling back';
      await thread.update(grace, graceOverMessage(target, how));
      graceClosed = true;
    }
  };
  // a failed post is logged and tried again on the next poll: Slack being slow must not stop the rotation's story
  const showSafely = async (p: Parameters<typeof show>[0]) => show(p).catch((err: unknown) => o.log.warn({ err: errorName(err), workflowId: target.workflowId }, 'could not post rotation progress to Slack'));

  const done = handle.result();
  let finished = false;
  void done.then(() => (finished = true), () => (finished = true));
  let phase: RotationProgress['phase'] | undefined;
  while (!finished && !o.signal?.aborted) {
    try {
      const p = await handle.query(progressQuery);
      phase = p.phase;
      await showSafely(p);
    } catch {
      // the query can race the run's completion, or the worker can be briefly away: the next poll tells
    }
    const nap = new AbortController();
    await Promise.race([
      done.catch(() => undefined),
      sleep(interval(phase, o.pollMs), undefined, { signal: AbortSignal.any([nap.signal, ...(o.signal ? [o.signal] : [])]) }).catch(() => undefined),
      ...(o.waker ? [o.waker.next()] : []),
    ]);
    nap.abort(); // no timer left behind when the run ended or a click woke us
  }
  if (o.signal?.aborted) return undefined;
  try {
    const result = await done;
    await showSafely({ phase: 'finished', steps: result.steps });
    await thread.post(outcomeMessage(result)).catch((err: unknown) => o.log.warn({ err: errorName(err) }, 'could not post the outcome to Slack'));
    return result;
  } catch (err) {
    // cancelled (a leak response took over, compensating first) or terminated
    await thread
      .post({ text: `:warning: The rotation of \`${target.secretId}\` ended without a result (${errorName(err)}); see \`/rotator status ${target.secretId}\`.` })
      .catch(() => undefined);
    return undefined;
  }
}

/** An error's class or type name: safe to log, unlike a provider's message. */
export function errorName(err: unknown): string {
  const type = (err as { type?: unknown })?.type;
  if (typeof type === 'string') return type;
  return err instanceof Error ? err.name : typeof err;
}
