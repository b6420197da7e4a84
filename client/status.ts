/**
 * Where each secret of the inventory stands: its last successful rotation and last run (from
 * visibility), its schedule's next run, the rotation running now and its step (the
 * `progress` query), and whether it is overdue. Read by `rotator status`, `rotator report`
 * and chat.
 */
import { type Client, ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import { formatDuration, type Inventory, type SecretSpec } from '../inventory';
import { rotationWorkflowId, scheduleIdOf } from '../workflows/ids';
import { progressQuery } from '../workflows/messages';
import type { RotationProgress } from '../workflows/types';
import { type RotationHistory, type RotationRun, rotationHistory } from './history';
import { inParallel } from './concurrency';

/** The rotation running now. */
export interface RunningRotation {
  workflowId: string;
  runId: string;
  startedAt: string;
  /** Unset when no worker answered the progress query in time. */
  phase?: RotationProgress['phase'];
  /** The step in progress (or the phase, between steps). */
  step?: string;
  graceEndsAt?: string;
  graceRemainingMs?: number;
}

/** One secret's status. */
export interface SecretStatus {
  id: string;
  type: SecretSpec['type'];
  store: string;
  /** 'every 30d' or 'cron 0 3 * * 1'. */
  schedule: string;
  lastRotation: { at: string; workflowId: string; runId: string } | null;
  lastRun: Pick<RotationRun, 'outcome' | 'closedAt' | 'failedStep' | 'reason' | 'runId'> | null;
  /** 'not synced': no schedule in the namespace (run rotator schedules sync). */
  scheduleState: 'active' | 'paused' | 'not synced';
  nextRun: string | null;
  running: RunningRotation | null;
  /** null: cannot tell (a cron schedule whose period is unknown until it is synced). */
  overdue: boolean | null;
  overdueReason: string;
}

const DAY = 86_400_000;

/** The status of one secret, and the history it was read from. */
export async function secretStatus(client: Client, spec: SecretSpec, o: { now?: Date; since?: Date; maxRuns?: number } = {}): Promise<{ status: SecretStatus; history: RotationHistory }> {
  const now = o.now ?? new Date();
  const [history, schedule, running] = await Promise.all([
    rotationHistory(client, spec.id, { since: o.since ?? now, maxRuns: o.maxRuns }),
    scheduleInfo(client, spec.id),
    runningRotation(client, spec.id),
  ]);
  const last = history.lastRotated;
  const verdict = overdueVerdict(spec, last ? new Date(last.closedAt) : undefined, schedule.nextTimes, now);
  const lastRun = history.lastRun;
  return {
    history,
    status: {
      id: spec.id,
      type: spec.type,
      store: spec.store,
      schedule: 'every' in spec.schedule ? `every ${formatDuration(spec.schedule.every)}` : `cron ${spec.schedule.cron}`,
      lastRotation: last ? { at: last.closedAt, workflowId: last.workflowId, runId: last.runId } : null,
      lastRun: lastRun ? { outcome: lastRun.outcome, closedAt: lastRun.closedAt, failedStep: lastRun.failedStep, reason: lastRun.reason, runId: lastRun.runId } : null,
      scheduleState: schedule.state,
      nextRun: schedule.state === 'active' ? (schedule.nextTimes[0]?.toISOString() ?? null) : null,
      running,
      overdue: verdict.overdue,
      overdueReason: verdict.reason,
    },
  };
}

/** Statuses of the inventory's secrets (all, or those named), a few at a time. */
export async function inventoryStatus(client: Client, inventory: Inventory, o: { ids?: string[]; now?: Date; since?: Date } = {}) {
  const specs = o.ids ? inventory.secrets.filter((s) => o.ids!.includes(s.id)) : inventory.secrets;
  return inParallel(specs, 8, (spec) => secretStatus(client, spec, o));
}

/**
 * Overdue: the last successful rotation is older than the schedule allows (its interval, or
 * the longest gap between the cron schedule's next runs), with a tolerance of a tenth of it
 * (at most a day) for the rotation's own duration. A secret with no rotation on record is overdue.
 */
export function overdueVerdict(spec: SecretSpec, lastRotated: Date | undefined, nextTimes: Date[], now: Date): { overdue: boolean | null; reason: string } {
  if (!lastRotated) return { overdue: true, reason: 'no rotation on record' };
  const age = now.getTime() - lastRotated.getTime();
  const allowed = 'every' in spec.schedule ? spec.schedule.every : longestGap(nextTimes);
  if (allowed === undefined) return { overdue: null, reason: `last rotated ${roughDuration(age)} ago; the cron schedule's period is known once it is synced (rotator schedules sync)` };
  const overdue = age > allowed + Math.min(allowed / 10, DAY);
  return { overdue, reason: `last rotated ${roughDuration(age)} ago; the schedule allows ${roughDuration(allowed)}` };
}

function longestGap(times: Date[]): number | undefined {
  let gap: number | undefined;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap ?? 0, times[i].getTime() - times[i - 1].getTime());
  return gap;
}

async function scheduleInfo(client: Client, secretId: string): Promise<{ state: SecretStatus['scheduleState']; nextTimes: Date[] }> {
  try {
    const d = await client.schedule.getHandle(scheduleIdOf(secretId)).describe();
    return { state: d.state.paused ? 'paused' : 'active', nextTimes: d.info.nextActionTimes };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return { state: 'not synced', nextTimes: [] };
    throw err;
  }
}

/** How long the progress query may take: a rotation with no worker must not hang `status`. */
const QUERY_TIMEOUT_MS = 5_000;

async function runningRotation(client: Client, secretId: string): Promise<RunningRotation | null> {
  const workflowId = rotationWorkflowId(secretId);
  let d;
  try {
    d = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  if (d.status.name !== 'RUNNING') return null;
  const running: RunningRotation = { workflowId, runId: d.runId, startedAt: d.startTime.toISOString() };
  try {
    const p = await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => client.workflow.getHandle(workflowId, d.runId).query(progressQuery));
    const step = [...p.steps].reverse().find((s) => s.status === 'running');
    // from the end time: a query sees the workflow's clock as of its last activation
    const graceRemainingMs = p.phase === 'grace' && p.graceEndsAt ? Math.max(0, Date.parse(p.graceEndsAt) - Date.now()) : undefined;
    return { ...running, phase: p.phase, step: step?.name ?? p.phase, graceEndsAt: p.graceEndsAt, graceRemainingMs };
  } catch {
    return running; // no worker answered in time: the run is known, its step is not
  }
}

/** A duration for people: its two largest units ('45d3h', '2m5s', '800ms'). */
export function roughDuration(ms: number): string {
  const units: Array<[string, number]> = [['d', DAY], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]];
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const parts: string[] = [];
  let rest = Math.floor(ms / 1000) * 1000;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.filter((p) => !p.startsWith('0')).join('') || '0s';
}

