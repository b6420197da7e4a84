/**
 * Operating one secret's schedule: pause, resume, and trigger now. The schedule stays the
 * inventory's (sync keeps a paused schedule paused); these only change when it fires.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, type ScheduleDescription, type ScheduleHandle, ScheduleNotFoundError } from '@temporalio/client';
import { scheduleIdOf } from '../workflows/ids';
import type { TriggerResult } from '../workflows/trigger-rotation';
import { type ActionMemo, managedNote } from './desired';
import { isRotators } from './sync';

/** The secret has no rotator schedule in this namespace. */
export class NoScheduleError extends Error {
  readonly type = 'NoSchedule';
}

async function rotatorSchedule(client: Client, secretId: string): Promise<{ handle: ScheduleHandle; description: ScheduleDescription }> {
  const scheduleId = scheduleIdOf(secretId);
  const handle = client.schedule.getHandle(scheduleId);
  try {
    const description = await handle.describe();
    if (isRotators(description)) return { handle, description };
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  throw new NoScheduleError(`no rotator schedule for ${secretId} (${scheduleId}); create it with: rotator schedules sync`);
}

/** Pauses the schedule; false if it was paused already. */
export async function pauseSchedule(client: Client, secretId: string, by: string, reason?: string): Promise<boolean> {
  const { handle, description } = await rotatorSchedule(client, secretId);
  if (description.state.paused) return false;
  await handle.pause(`paused by ${by}${reason ? `: ${reason}` : ''}`);
  return true;
}

/** Resumes the schedule; false if it was not paused. */
export async function resumeSchedule(client: Client, secretId: string): Promise<boolean> {
  const { handle, description } = await rotatorSchedule(client, secretId);
  if (!description.state.paused) return false;
  const inventory = (description.action.memo as Partial<ActionMemo> | undefined)?.inventory;
  await handle.unpause(inventory ? managedNote(inventory) : 'managed by rotator');
  return true;
}

/** What `trigger --wait` saw: the trigger workflow's result. */
export interface TriggeredRun {
  triggerWorkflowId: string;
  result: TriggerResult;
}

/**
 * Takes the schedule's action now. With `wait`, waits for the trigger workflow to say whether
 * it started the rotation or skipped it because one is running.
 */
export async function triggerSchedule(client: Client, secretId: string, o: { wait?: boolean; timeoutMs?: number } = {}): Promise<TriggeredRun | undefined> {
  const { handle, description } = await rotatorSchedule(client, secretId);
  const key = (a: ScheduleDescription['info']['recentActions'][number]) => `${a.action.workflow.workflowId}/${a.action.workflow.firstExecutionRunId}`;
  const before = new Set(description.info.recentActions.map(key));
  // the trigger workflow, not the schedule's overlap policy, decides whether a rotation may start
  await handle.trigger();
  if (!o.wait) return undefined;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const taken = (await handle.describe()).info.recentActions.find((a) => !before.has(key(a)));
    if (taken) {
      const { workflowId, firstExecutionRunId } = taken.action.workflow;
      try {
        const result = (await client.connection.withDeadline(deadline, () => client.workflow.getHandle(workflowId, firstExecutionRunId).result())) as TriggerResult;
        return { triggerWorkflowId: workflowId, result };
      } catch (err) {
        if (Date.now() < deadline) throw err;
        break;
      }
    }
    await sleep(200);
  }
  throw new Error(`triggered, but no outcome within ${Math.round(timeoutMs / 1000)}s: is a worker (rotator worker) polling task queue ${description.action.taskQueue}?`);
}
