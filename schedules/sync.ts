/**
 * `rotator schedules sync`: make the namespace's Temporal Schedules match the inventory.
 * First a plan (create / update / delete / unchanged, plus what cannot be done), then, unless
 * it is a dry run, the plan applied. Only rotator's own schedules are ever changed: those
 * carrying the RotatorSecretId search attribute and rotator's memo, and, for deletion, only
 * those whose trigger runs on this task queue (another inventory in the same namespace runs
 * its own workers on its own queue, and its schedules are not ours to delete).
 */
import { type Client, type ScheduleDescription, ScheduleNotFoundError } from '@temporalio/client';
import { PlanError } from '../client/plans';
import type { Inventory } from '../inventory';
import { scheduleIdOf } from '../workflows/ids';
import { type ActionMemo, type DesiredSchedule, desiredSchedule, ROTATOR_SECRET_ID, TRIGGER_WORKFLOW } from './desired';
import { inParallel } from '../client/concurrency';

/** What sync does (or would do) with one schedule. */
export type SyncAction = 'create' | 'update' | 'delete' | 'unchanged' | 'skip' | 'conflict';

/** One line of the plan. */
export interface SyncEntry {
  action: SyncAction;
  secretId: string;
  scheduleId: string;
  /** For people: the schedule, what changed, or why nothing can be done. */
  detail: string;
  desired?: DesiredSchedule;
}

/** Where the inventory lives and which task queue its workers poll. */
export interface SyncScope {
  inventoryPath: string;
  taskQueue: string;
}

/**
 * Schedules described or changed at once. One after the other, an inventory of 10,000 secrets
 * took minutes to compare and to create (bench/results/scale.md); a few at a time keep the
 * server's load modest.
 */
const SYNC_CONCURRENCY = 8;

/** Compares the inventory with the namespace; changes nothing. */
export async function planSync(client: Client, inventory: Inventory, scope: SyncScope): Promise<SyncEntry[]> {
  const inInventory = new Set(inventory.secrets.map((spec) => scheduleIdOf(spec.id)));
  const perSecret = await inParallel(inventory.secrets, SYNC_CONCURRENCY, async (spec): Promise<SyncEntry[]> => {
    const scheduleId = scheduleIdOf(spec.id);
    const existing = await describeOrUndefined(client, scheduleId);
    let desired: DesiredSchedule;
    try {
      desired = desiredSchedule(inventory, spec, scope);
    } catch (err) {
      if (!(err instanceof PlanError)) throw err;
      const skip: SyncEntry = { action: 'skip', secretId: spec.id, scheduleId, detail: `cannot be scheduled: ${err.message}` };
      return existing && isOurs(existing, scope) ? [skip, { action: 'delete', secretId: spec.id, scheduleId, detail: 'its secret cannot be scheduled' }] : [skip];
    }
    if (!existing) return [{ action: 'create', secretId: spec.id, scheduleId, detail: desired.scheduleText, desired }];
    if (!isRotators(existing)) return [{ action: 'conflict', secretId: spec.id, scheduleId, detail: 'a schedule with this id exists and was not created by rotator: left alone' }];
    const changes = differences(existing, desired);
    return [
      changes.length === 0
        ? { action: 'unchanged', secretId: spec.id, scheduleId, detail: desired.scheduleText }
        : { action: 'update', secretId: spec.id, scheduleId, detail: changes.join('; '), desired },
    ];
  });
  const others: string[] = [];
  for await (const summary of client.schedule.list({ query: `${ROTATOR_SECRET_ID.name} IS NOT NULL` })) {
    if (!inInventory.has(summary.scheduleId)) others.push(summary.scheduleId);
  }
  const deletes = await inParallel(others, SYNC_CONCURRENCY, async (scheduleId): Promise<SyncEntry[]> => {
    const existing = await describeOrUndefined(client, scheduleId);
    if (!existing || !isOurs(existing, scope)) return [];
    const secretId = existing.typedSearchAttributes.get(ROTATOR_SECRET_ID) ?? scheduleId.replace(/^schedule\//, '');
    return [{ action: 'delete', secretId, scheduleId, detail: 'its secret is no longer in the inventory' }];
  });
  return [...perSecret.flat(), ...deletes.flat()];
}

/** Applies the plan's creates, updates and deletes, a few at a time (each schedule is independent of the others). */
export async function applySync(client: Client, entries: SyncEntry[]): Promise<void> {
  await inParallel(entries, SYNC_CONCURRENCY, async (e) => {
    if (e.action === 'create' && e.desired) await client.schedule.create(e.desired.options);
    if (e.action === 'update' && e.desired) await update(client, e.desired);
    if (e.action === 'delete') await client.schedule.getHandle(e.scheduleId).delete();
  });
}

async function update(client: Client, want: DesiredSchedule): Promise<void> {
  const { spec, action, policies, typedSearchAttributes } = want.options;
  await client.schedule.getHandle(want.scheduleId).update((prev) => ({
    spec,
    action,
    policies,
    typedSearchAttributes,
    // a paused schedule stays paused, with the note that says who paused it and why
    state: { paused: prev.state.paused, note: prev.state.paused ? prev.state.note : want.note },
  }));
}

async function describeOrUndefined(client: Client, scheduleId: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** Created by rotator: it carries the marker attribute or rotator's memo. */
export function isRotators(d: ScheduleDescription): boolean {
  return d.typedSearchAttributes.get(ROTATOR_SECRET_ID) !== undefined || (d.memo as { managedBy?: unknown } | undefined)?.managedBy === 'rotator';
}

/** Rotator's, and serving this inventory's workers. */
const isOurs = (d: ScheduleDescription, scope: SyncScope) => isRotators(d) && d.action.taskQueue === scope.taskQueue;

/** What differs between a schedule and the one the inventory wants; empty when nothing does. */
export function differences(d: ScheduleDescription, want: DesiredSchedule): string[] {
  const changes: string[] = [];
  const memo = (d.action.memo ?? {}) as Partial<ActionMemo>;
  if (memo.schedule !== want.scheduleText) changes.push(`schedule ${memo.schedule ?? 'unknown'} -> ${want.scheduleText}`);
  if (d.action.workflowType !== TRIGGER_WORKFLOW) changes.push(`action ${d.action.workflowType} -> ${TRIGGER_WORKFLOW}`);
  if (d.action.taskQueue !== want.taskQueue) changes.push(`task queue ${d.action.taskQueue} -> ${want.taskQueue}`);
  const changed = diffPaths(d.action.args?.[0], normalise(want.rotation));
  if (changed.length > 0) changes.push(`rotation settings (${changed.slice(0, 4).join(', ')}${changed.length > 4 ? ', …' : ''})`);
  if (d.policies.overlap !== 'SKIP' || d.policies.catchupWindow !== want.catchupWindowMs) changes.push('policies (overlap, catch-up window)');
  if (d.typedSearchAttributes.get(ROTATOR_SECRET_ID) !== want.secretId) changes.push('marker attribute');
  if (memo.inventory !== want.inventoryPath) changes.push(`inventory file ${memo.inventory ?? 'unknown'} -> ${want.inventoryPath}`);
  return changes;
}

/** The value as it comes back from the server: JSON, without undefined fields. */
const normalise = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

/** Dotted paths of the leaves that differ (e.g. `input.timings.graceMs`). */
function diffPaths(a: unknown, b: unknown, at = ''): string[] {
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffPaths(a[k], b[k], at ? `${at}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at || 'input'];
}
