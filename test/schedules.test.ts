/**
 * `rotator schedules …` on the real dev server: the real binary, a real `rotator worker`
 * process on this file's own task queue, real PostgreSQL and OpenBao. Schedules are global
 * in the namespace, so every secret id here is unique and every schedule made is deleted.
 */
import { type Client, type Connection, ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseSecret } from '../activities/postgres/activities';
import { loadTemporalConfig } from '../client/config';
import { connectTemporal } from '../client/connection';
import { ROTATOR_SECRET_ID } from '../schedules';
import type { ScheduledRotation } from '../workflows/trigger-rotation';
import { CliWorld, type InventorySecret } from './helpers/cli';
import { tryLogin } from './helpers/postgres';
import { waitFor } from './helpers/wait';

const world = new CliWorld('schedules');
const other = new CliWorld('schedules-other');
let client: Client;
let connection: Connection;
const scheduleIds = new Set<string>();

beforeAll(async () => {
  ({ client, connection } = await connectTemporal(loadTemporalConfig()));
  await world.startWorker();
});

afterAll(async () => {
  await world.stopWorker();
  for (const id of scheduleIds) await client?.schedule.getHandle(id).delete().catch(() => undefined);
  await connection?.close();
});

const sid = (s: InventorySecret | string) => `schedule/${typeof s === 'string' ? s : s.id}`;
const describeSchedule = (s: InventorySecret | string) => client.schedule.getHandle(sid(s)).describe();
/** The plan line of a schedule: its action and detail. */
const planLine = (stdout: string, s: InventorySecret | string) => stdout.split('\n').find((l) => l.includes(`${sid(s)} `) || l.endsWith(sid(s)))?.trim().replace(/\s+/g, ' ');

async function sync(w = world, args: string[] = []) {
  const r = await w.run(['schedules', 'sync', ...args]);
  for (const line of r.stdout.split('\n')) {
    const m = /(schedule\/\S+)/.exec(line);
    if (m) scheduleIds.add(m[1]);
  }
  return r;
}

describe('rotator schedules sync', () => {
  let a: InventorySecret;
  let b: InventorySecret;

  it('plans with --dry-run, creates one schedule per secret, and a second run changes nothing', async () => {
    a = await world.addSecret({ schedule: '{ every: 30d }' });
    b = await world.addSecret({ schedule: "{ cron: '0 3 * * 1' }", grace: '2s' });

    const dry = await sync(world, ['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(planLine(dry.stdout, a)).toBe(`create ${sid(a)} every 30d`);
    expect(planLine(dry.stdout, b)).toBe(`create ${sid(b)} cron 0 3 * * 1`);
    expect(dry.stdout).toContain('dry run: 2 to create, 0 to update, 0 to delete, 0 unchanged; nothing changed');
    await expect(describeSchedule(a)).rejects.toBeInstanceOf(ScheduleNotFoundError);

    const first = await sync();
    expect(first.code, first.stderr).toBe(0);
    expect(planLine(first.stdout, a)).toBe(`create ${sid(a)} every 30d`);
    expect(first.stdout).toContain('applied: 2 created, 0 updated, 0 deleted, 0 unchanged');

    const da = await describeSchedule(a);
    expect(da.spec.intervals?.[0]?.every).toBe(30 * 86_400_000);
    expect(da.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 86_400_000 });
    expect(da.state.note).toContain(world.inventoryPath);
    expect(da.typedSearchAttributes.get(ROTATOR_SECRET_ID)).toBe(a.id);
    expect(da.memo).toMatchObject({ managedBy: 'rotator', secretId: a.id, inventory: world.inventoryPath });
    expect(da.action).toMatchObject({ workflowType: 'triggerRotation', taskQueue: world.taskQueue, workflowId: `trigger/${a.id}` });
    const rotation = da.action.args?.[0] as ScheduledRotation;
    expect(rotation.workflowType).toBe('rotatePostgresDualAccount');
    expect(rotation.input).toMatchObject({ secretId: a.id, ref: a.input.ref, requestedBy: 'schedule', timings: { graceMs: 1000, consumerCacheTtlMs: 500 } });
    expect(JSON.stringify(rotation)).not.toMatch(/password"\s*:\s*"/i); // references and durations only

    const db = await describeSchedule(b);
    expect(db.spec.calendars?.[0]).toMatchObject({ minute: [{ start: 0 }], hour: [{ start: 3 }], dayOfWeek: [{ start: 'MONDAY' }] });
    const next = db.info.nextActionTimes[0];
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 3, 0]);

    const second = await sync();
    expect(second.code, second.stderr).toBe(0);
    expect(planLine(second.stdout, a)).toBe(`unchanged ${sid(a)} every 30d`);
    expect(planLine(second.stdout, b)).toBe(`unchanged ${sid(b)} cron 0 3 * * 1`);
    expect(second.stdout).toContain('applied: 0 created, 0 updated, 0 deleted, 2 unchanged');
    expect((await describeSchedule(a)).info.lastUpdatedAt).toEqual(da.info.lastUpdatedAt);
  });

  it('updates the schedules of changed secrets (a paused one stays paused) and deletes those of removed secrets', async () => {
    const paused = await world.run(['schedules', 'pause', a.id, '--reason', 'change freeze']);
    expect(paused.code, paused.stderr).toBe(0);
    world.update(a.id, { schedule: '{ every: 7d }' });
    world.update(b.id, { grace: '3s' });

    const r = await sync();
    expect(r.code, r.stderr).toBe(0);
    expect(planLine(r.stdout, a)).toBe(`update ${sid(a)} schedule every 30d -> every 7d`);
    expect(planLine(r.stdout, b)).toBe(`update ${sid(b)} rotation settings (input.timings.graceMs)`);
    const da = await describeSchedule(a);
    expect(da.spec.intervals?.[0]?.every).toBe(7 * 86_400_000);
    expect(da.state).toMatchObject({ paused: true, note: 'paused by alice: change freeze' });
    expect(((await describeSchedule(b)).action.args?.[0] as ScheduledRotation).input.timings.graceMs).toBe(3000);

    const resumed = await world.run(['schedules', 'resume', a.id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await describeSchedule(a)).state).toMatchObject({ paused: false, note: expect.stringContaining(world.inventoryPath) });

    world.update(b.id, null);
    const removed = await sync();
    expect(removed.code, removed.stderr).toBe(0);
    expect(planLine(removed.stdout, b)).toBe(`delete ${sid(b)} its secret is no longer in the inventory`);
    expect(planLine(removed.stdout, a)).toBe(`unchanged ${sid(a)} every 7d`);
    await expect(describeSchedule(b)).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it("never touches schedules it did not create, nor another inventory's (another task queue)", async () => {
    // another inventory in the same namespace, with its own workers' task queue
    const theirs = await other.addSecret();
    expect((await sync(other)).code).toBe(0);
    // a schedule someone made by hand under the id rotator would use for one of our secrets
    const mine = await world.addSecret();
    scheduleIds.add(sid(mine));
    await client.schedule.create({ scheduleId: sid(mine), spec: { intervals: [{ every: '1d' }] }, action: { type: 'startWorkflow', workflowType: 'somethingElse', taskQueue: 'elsewhere', args: [] } });

    const r = await sync();
    expect(r.code).toBe(1);
    expect(planLine(r.stdout, mine)).toBe(`conflict ${sid(mine)} a schedule with this id exists and was not created by rotator: left alone`);
    expect(r.stderr.trim()).toBe('rotator: 1 schedule id(s) are taken by schedules rotator did not create; rename or delete them');
    expect(r.stdout).not.toContain(theirs.id);
    expect((await describeSchedule(mine)).action.workflowType).toBe('somethingElse');
    expect((await describeSchedule(theirs)).action.taskQueue).toBe(other.taskQueue);

    await client.schedule.getHandle(sid(mine)).delete();
    world.update(mine.id, null);
    other.update(theirs.id, null);
    expect(planLine((await sync(other)).stdout, theirs)).toBe(`delete ${sid(theirs)} its secret is no longer in the inventory`);
  });

  it('pause, resume and trigger refuse a secret that has no schedule, with exit 2', async () => {
    for (const cmd of ['pause', 'resume', 'trigger']) {
      const r = await world.run(['schedules', cmd, 'no-such-secret']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe('rotator: no rotator schedule for no-such-secret (schedule/no-such-secret); create it with: rotator schedules sync');
    }
  });
});

describe('scheduled rotations', () => {
  let s: InventorySecret;

  beforeAll(async () => {
    s = await world.addSecret({ schedule: '{ every: 30d }' });
    expect((await sync()).code).toBe(0);
  });

  it('a schedule triggered now runs a real rotation under rotation/<id>', async () => {
    const r = await world.run(['schedules', 'trigger', s.id, '--wait']);
    expect(r.code, r.stderr).toBe(0);
    // the server suffixes the trigger's id with the scheduled time; the rotation keeps its fixed id
    expect(r.stdout).toMatch(new RegExp(`^triggered: started rotation/${s.id} \\(run [\\w-]+\\) from trigger/${s.id}-\\S+\\n$`));
    await waitFor(async () => (await world.status(s.id)).lastRun?.outcome === 'rotated', { what: 'the scheduled rotation to finish' });
    const d = await client.workflow.getHandle(`rotation/${s.id}`).describe();
    expect(d.raw.workflowExecutionInfo?.parentExecution?.workflowId).toMatch(new RegExp(`^trigger/${s.id}-`));
    const current = parseDatabaseSecret((await world.vault.getVersion(s.input.ref, 'current')).value, s.input.ref);
    expect(current.username).toBe(s.input.postgres.accounts[0]);
    expect(await tryLogin(s.input.postgres.database, current.username, current.password)).toBe('ok');
  });

  it('a scheduled start while a manual rotation runs starts no second one', async () => {
    const started = await world.run(['rotate', s.id, '--grace', '60s']);
    expect(started.code, started.stderr).toBe(0);
    await waitFor(async () => (await world.status(s.id)).running?.phase === 'grace', { what: 'the manual rotation to reach its grace period' });
    const manual = (await world.status(s.id)).running!;

    const r = await world.run(['schedules', 'trigger', s.id, '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^triggered: skipped, a rotation of ${s.id} is already running \\(rotation/${s.id}\\); trigger/${s.id}-\\S+ started nothing\\n$`));
    const runs: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = 'rotation/${s.id}' AND ExecutionStatus = 'Running'` })) runs.push(w.runId);
    expect(runs).toEqual([manual.runId]);

    expect((await world.run(['skip-grace', s.id])).code).toBe(0);
    await waitFor(async () => (await world.status(s.id)).lastRun?.runId === manual.runId, { what: 'the manual rotation to finish' });
    expect((await world.status(s.id)).lastRun?.outcome).toBe('rotated');
  });
});
