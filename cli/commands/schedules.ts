/** `rotator schedules sync [--dry-run]` and `rotator schedules pause | resume | trigger <secretId>`. */
import { resolve } from 'node:path';
import { applySync, NoScheduleError, pauseSchedule, planSync, resumeSchedule, ROTATOR_SECRET_ID, type SyncAction, type SyncEntry, triggerSchedule } from '../../schedules';
import { rotationWorkflowId } from '../../workflows/ids';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { operator } from './rotate';

const ORDER: SyncAction[] = ['create', 'update', 'delete', 'unchanged', 'skip', 'conflict'];

export async function syncSchedules(ctx: CliContext, o: { dryRun?: boolean }): Promise<void> {
  try {
    await sync(ctx, o);
  } catch (err) {
    // the one set-up step a new namespace needs: say which, rather than the server's query error
    if (err instanceof Error && !(err instanceof CliError) && err.message.includes(ROTATOR_SECRET_ID.name)) {
      const ns = ctx.config.namespace;
      throw new CliError(`namespace ${ns} has no ${ROTATOR_SECRET_ID.name} search attribute, which marks rotator's schedules; add it once with: temporal operator search-attribute create --namespace ${ns} --name ${ROTATOR_SECRET_ID.name} --type Keyword`);
    }
    throw err;
  }
}

async function sync(ctx: CliContext, o: { dryRun?: boolean }): Promise<void> {
  const inventory = ctx.inventory();
  const client = await ctx.client();
  const entries = await planSync(client, inventory, { inventoryPath: ctx.config.inventoryPath, taskQueue: ctx.config.taskQueue });
  const out = process.stdout;
  out.write(`schedules for ${resolve(ctx.config.inventoryPath)} (namespace ${ctx.config.namespace}, task queue ${ctx.config.taskQueue}):\n`);
  out.write(planText(entries));
  const count = (a: SyncAction) => entries.filter((e) => e.action === a).length;
  const summary = `${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged`;
  if (o.dryRun) {
    out.write(`dry run: ${summary}; nothing changed\n`);
  } else {
    await applySync(client, entries);
    out.write(`applied: ${count('create')} created, ${count('update')} updated, ${count('delete')} deleted, ${count('unchanged')} unchanged\n`);
  }
  const conflicts = count('conflict');
  if (conflicts > 0) throw new CliError(`${conflicts} schedule id(s) are taken by schedules rotator did not create; rename or delete them`, EXIT.failed);
}

/** The plan, one line per schedule, in a stable order. */
export function planText(entries: SyncEntry[]): string {
  if (entries.length === 0) return '  (no secrets in the inventory, no rotator schedules on this task queue)\n';
  const sorted = [...entries].sort((a, b) => ORDER.indexOf(a.action) - ORDER.indexOf(b.action) || a.scheduleId.localeCompare(b.scheduleId));
  const width = Math.max(...sorted.map((e) => e.scheduleId.length));
  return sorted.map((e) => `  ${e.action.padEnd(9)}  ${e.scheduleId.padEnd(width)}  ${e.detail}\n`).join('');
}

export async function pause(ctx: CliContext, secretId: string, o: { reason?: string }): Promise<void> {
  const changed = await controlled(() => ctx.client().then((c) => pauseSchedule(c, secretId, operator(), o.reason)));
  process.stdout.write(changed ? `paused the schedule of ${secretId}; resume with: rotator schedules resume ${secretId}\n` : `the schedule of ${secretId} was already paused\n`);
}

export async function resume(ctx: CliContext, secretId: string): Promise<void> {
  const changed = await controlled(() => ctx.client().then((c) => resumeSchedule(c, secretId)));
  process.stdout.write(changed ? `resumed the schedule of ${secretId}\n` : `the schedule of ${secretId} was not paused\n`);
}

export async function trigger(ctx: CliContext, secretId: string, o: { wait?: boolean }): Promise<void> {
  const run = await controlled(() => ctx.client().then((c) => triggerSchedule(c, secretId, { wait: o.wait })));
  if (!run) {
    process.stdout.write(`triggered the schedule of ${secretId}: it starts ${rotationWorkflowId(secretId)}, or skips if one is running; follow with: rotator status ${secretId}\n`);
    return;
  }
  const r = run.result;
  process.stdout.write(
    r.outcome === 'started'
      ? `triggered: started ${r.workflowId} (run ${r.runId}) from ${run.triggerWorkflowId}\n`
      : `triggered: skipped, a rotation of ${secretId} is already running (${r.workflowId}); ${run.triggerWorkflowId} started nothing\n`,
  );
}

async function controlled<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NoScheduleError) throw new CliError(err.message, EXIT.refused);
    throw err;
  }
}
