/**
 * The `rotator` command line as operators use it: the real binary against the real dev
 * server, a real `rotator worker` process on this file's own task queue, real PostgreSQL and
 * OpenBao. Every wait is on a condition (the status a command prints), never a fixed sleep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseSecret } from '../activities/postgres/activities';
import { CliWorld, type CliRun, type InventorySecret } from './helpers/cli';
import { tryLogin } from './helpers/postgres';
import { waitFor } from './helpers/wait';

const world = new CliWorld('cli');

beforeAll(async () => {
  await world.startWorker();
});
afterAll(async () => {
  await world.stopWorker();
});

/** One clear line on stderr, and no stack trace. */
function oneLine(r: CliRun): string {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0];
}

async function rotated(s: InventorySecret, args: string[] = []): Promise<CliRun> {
  const r = await world.run(['rotate', s.id, '--wait', ...args]);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

const phaseIs = (s: InventorySecret, phase: string) => async () => (await world.status(s.id)).running?.phase === phase;
const finished = (s: InventorySecret, outcome: string) => async () => {
  const st = await world.status(s.id);
  return st.running === null && st.lastRun?.outcome === outcome;
};

async function currentCredential(s: InventorySecret) {
  return parseDatabaseSecret((await world.vault.getVersion(s.input.ref, 'current')).value, s.input.ref);
}

describe('usage', () => {
  it('--help works on every command', async () => {
    const commands = [[], ['worker'], ['validate'], ['rotate'], ['status'], ['report'], ['skip-grace'], ['extend-grace'], ['approve'], ['abort'], ['schedules'], ['schedules', 'sync'], ['schedules', 'pause'], ['schedules', 'resume'], ['schedules', 'trigger']];
    const runs = await Promise.all(commands.map((c) => world.run([...c, '--help'])));
    runs.forEach((r, i) => {
      expect(r.code, commands[i].join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: rotator/);
    });
    expect(runs[4].stdout).toContain('--json');
    expect(runs[5].stdout).toContain('--format <format>');
    expect(runs[11].stdout).toContain('--dry-run');
  });

  it('invalid arguments exit 2 with one clear line', async () => {
    const s = await world.addSecret();
    const cases: Array<[string[], string | RegExp]> = [
      [['rotate'], "error: missing required argument 'secretId'"],
      [['rotate', s.id, '--bogus'], "error: unknown option '--bogus'"],
      [['rotate', s.id, '--grace', 'soon'], 'rotator: --grace: "soon" is not a duration (e.g. 30s, 15m, 1h30m, 7d)'],
      [['rotate', s.id, '--grace', '100ms'], `rotator: grace 100 ms is shorter than ${s.id}'s consumer cache TTL (500 ms): consumers would still hold the old credential when it dies`],
      [['rotate', 'no-such-secret'], 'rotator: no secret "no-such-secret" in the inventory'],
      [['status', 'no-such-secret'], 'rotator: no secret "no-such-secret" in the inventory'],
      [['extend-grace', s.id, 'forever'], 'rotator: extend-grace: "forever" is not a duration (e.g. 30s, 15m, 1h30m, 7d)'],
      [['report', '--format', 'xml'], "error: option '--format <format>' argument 'xml' is invalid. Allowed choices are md, json."],
      [['frobnicate'], "error: unknown command 'frobnicate'"],
      [['schedules', 'sync', 'extra'], /^error: too many arguments for 'sync'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => world.run(args)));
    runs.forEach((r, i) => {
      expect(r.code, cases[i][0].join(' ')).toBe(2);
      const line = oneLine(r);
      const want = cases[i][1];
      if (typeof want === 'string') expect(line).toBe(want);
      else expect(line).toMatch(want);
    });
  });

  it('a broken inventory is one line too, and ROTATOR_DEBUG adds the stack', async () => {
    const r = await world.run(['status'], { ROTATOR_INVENTORY: `${world.dir}/missing.yaml` });
    expect(r.code).toBe(2);
    expect(oneLine(r)).toMatch(/^rotator: .*missing\.yaml/);
    const debug = await world.run(['status'], { ROTATOR_INVENTORY: `${world.dir}/missing.yaml`, ROTATOR_DEBUG: '1' });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe('rotate --wait', () => {
  it('prints each step as it finishes and exits 0; status --json shows the finished rotation', async () => {
    const s = await world.addSecret();
    const [a, b] = s.input.postgres.accounts;
    const first = await rotated(s);
    expect(first.stdout).toContain(`rotation of ${s.id} started (workflow rotation/${s.id})`);
    expect(first.stdout).toMatch(new RegExp(`✓ pick inactive account \\(\\S+\\): ${a} \\(active: none yet\\)`));
    expect(first.stdout).toMatch(/✓ stage password \(\S+\): version \S+/);
    expect(first.stdout).toContain(`✓ verify login as ${a}`);
    expect(first.stdout.trim().split('\n').at(-1)).toBe(`rotated: ${s.id} now uses ${a}`);

    const second = await rotated(s, ['--grace', '2s']);
    const steps = second.stdout.split('\n').filter((l) => l.startsWith('  ✓')).map((l) => l.replace(/^ {2}✓ /, '').replace(/ \(.*$/, ''));
    expect(steps).toEqual(['pick inactive account', 'stage password', `set password on ${b}`, `verify login as ${b}`, 'promote', 'grace period', `lock ${a}`]);
    expect(second.stdout).toMatch(/… grace period: \d+s left/);
    expect(second.stdout.trim().split('\n').at(-1)).toBe(`rotated: ${s.id} now uses ${b}`);

    await waitFor(finished(s, 'rotated'), { what: 'visibility to list the rotation' });
    const st = await world.status(s.id);
    expect(st).toMatchObject({ id: s.id, type: 'postgres-dual-account', store: 'vault', schedule: 'every 30d', running: null, overdue: false, scheduleState: 'not synced', nextRun: null });
    expect(st.lastRotation?.workflowId).toBe(`rotation/${s.id}`);
    expect(Date.now() - Date.parse(st.lastRotation!.at)).toBeLessThan(60_000);
    const cred = await currentCredential(s);
    expect(cred.username).toBe(b);
    expect(await tryLogin(s.input.postgres.database, cred.username, cred.password)).toBe('ok');

    const table = await world.run(['status']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^SECRET\s+TYPE\s+STORE\s+SCHEDULE\s+LAST ROTATED\s+NEXT RUN\s+RUNNING\s+OVERDUE$/);
    expect(table.stdout.split('\n').find((l) => l.startsWith(s.id))).toMatch(/postgres-dual-account\s+vault\s+every 30d\s+\d{4}-\d\d-\d\d \d\d:\d\dZ \(\S+ ago\)\s+not synced\s+-\s+no$/);
  });

  it('exits 1 when the rotation rolls back (a check query that fails)', async () => {
    const s = await world.addSecret({}, { check: 'SELECT * FROM no_such_table' });
    const r = await world.run(['rotate', s.id, '--wait']);
    expect(r.code, r.stderr).toBe(1);
    const [a] = s.input.postgres.accounts;
    expect(r.stdout).toContain(`✗ verify login as ${a}`);
    expect(r.stdout).toContain('✓ compensate: discard pending version');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`rolled-back: ${s.id} (verify login as ${a}: VerificationFailed: the check query failed for ${a})`);
  });

  it('exits 2 when a rotation of the secret is already running', async () => {
    const s = await world.addSecret();
    await rotated(s);
    expect((await world.run(['rotate', s.id, '--grace', '60s'])).code).toBe(0);
    await waitFor(phaseIs(s, 'grace'), { what: 'the grace period' });
    const r = await world.run(['rotate', s.id, '--wait']);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toBe(`rotator: a rotation of ${s.id} is already running (workflow rotation/${s.id}); watch it with: rotator status ${s.id}`);
    expect(r.stdout).toBe('');
    expect((await world.run(['skip-grace', s.id])).code).toBe(0);
    await waitFor(finished(s, 'rotated'), { what: 'the rotation to finish' });
  });
});

describe('steering a running rotation', () => {
  it('extend-grace lengthens the grace period, skip-grace ends it; both refused when no rotation runs', async () => {
    const s = await world.addSecret();
    await rotated(s);
    expect((await world.run(['rotate', s.id, '--grace', '60s'])).code).toBe(0);
    await waitFor(phaseIs(s, 'grace'), { what: 'the grace period' });
    const before = (await world.status(s.id)).running!;
    expect(before.graceRemainingMs).toBeLessThanOrEqual(60_000);

    const ext = await world.run(['extend-grace', s.id, '2m']);
    expect(ext.code, ext.stderr).toBe(0);
    expect(ext.stdout).toBe(`extend-grace: sent to the rotation of ${s.id}\n`);
    const after = (await world.status(s.id)).running!;
    expect(after.runId).toBe(before.runId);
    expect(after.graceRemainingMs).toBeGreaterThan(120_000);

    const approve = await world.run(['approve', s.id]);
    expect(approve.code).toBe(2);
    expect(oneLine(approve)).toBe('rotator: refused: cannot approve: the rotation is not awaiting approval');

    const skip = await world.run(['skip-grace', s.id]);
    expect(skip.code, skip.stderr).toBe(0);
    await waitFor(finished(s, 'rotated'), { what: 'the rotation to finish' });
    expect((await currentCredential(s)).username).toBe(s.input.postgres.accounts[1]);

    for (const args of [['skip-grace', s.id], ['extend-grace', s.id, '1m'], ['abort', s.id]]) {
      const r = await world.run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(oneLine(r)).toBe(`rotator: no rotation of ${s.id} is running`);
    }
  });

  it('approve promotes a rotation awaiting approval, but not from the one who started it; skip-grace is refused meanwhile', async () => {
    const s = await world.addSecret({ approval: 'before-promote', approvalTimeout: '5m' });
    expect((await world.run(['rotate', s.id])).code).toBe(0); // started by alice (ROTATOR_ACTOR)
    await waitFor(phaseIs(s, 'awaiting-approval'), { what: 'the approval gate' });
    expect((await world.status(s.id)).running?.step).toBe('await approval');

    const skip = await world.run(['skip-grace', s.id]);
    expect(skip.code).toBe(2);
    expect(oneLine(skip)).toBe('rotator: refused: cannot skip a grace period: the rotation is not in its grace period');
    const self = await world.run(['approve', s.id]);
    expect(self.code).toBe(2);
    expect(oneLine(self)).toBe('rotator: refused: alice started this rotation and cannot also approve it');
    await expect(world.vault.getVersion(s.input.ref, 'current')).rejects.toThrow(); // nothing promoted yet

    const bob = await world.run(['approve', s.id], { ROTATOR_ACTOR: 'bob' });
    expect(bob.code, bob.stderr).toBe(0);
    await waitFor(finished(s, 'rotated'), { what: 'the approved rotation to finish' });
    const cred = await currentCredential(s);
    expect(await tryLogin(s.input.postgres.database, cred.username, cred.password)).toBe('ok');
  });

  it('abort rolls the running rotation back: the credential in use keeps working', async () => {
    const s = await world.addSecret();
    await rotated(s);
    const old = await currentCredential(s);
    expect((await world.run(['rotate', s.id, '--grace', '60s'])).code).toBe(0);
    await waitFor(phaseIs(s, 'grace'), { what: 'the grace period' });

    const r = await world.run(['abort', s.id, '--reason', 'wrong change window']);
    expect(r.code, r.stderr).toBe(0);
    await waitFor(finished(s, 'rolled-back'), { what: 'the rollback' });
    expect((await world.status(s.id)).lastRun?.reason).toBe('aborted by alice: wrong change window');
    const now = await currentCredential(s);
    expect(now.username).toBe(old.username);
    expect(await tryLogin(s.input.postgres.database, now.username, now.password)).toBe('ok');
  });
});

describe('rotator report', () => {
  it('flags overdue secrets, rolled-back rotations and secrets never rotated', async () => {
    const compliant = await world.addSecret({ schedule: '{ every: 30d }' });
    const never = await world.addSecret({ schedule: '{ every: 30d }' });
    const fast = await world.addSecret({ schedule: '{ every: 1s }' });
    const broken = await world.addSecret({}, { check: 'SELECT * FROM no_such_table' });
    await rotated(compliant);
    await rotated(fast);
    expect((await world.run(['rotate', broken.id, '--wait'])).code).toBe(1);

    type Report = {
      summary: { secrets: number; overdue: number };
      overdue: Array<{ id: string; reason: string }>;
      lastRotations: Array<{ id: string; lastRotation: string | null; overdue: boolean | null }>;
      failedLast30Days: Array<{ id: string; outcome: string; failedStep?: string }>;
      notRotatedFor90Days: Array<{ id: string; lastRotation: string | null }>;
      notes: string[];
    };
    let report: Report | undefined;
    // `fast` may rotate at most every second: it is overdue as soon as its rotation is over a second old
    await waitFor(
      async () => {
        const r = await world.run(['report', '--format', 'json']);
        report = JSON.parse(r.stdout) as Report;
        return report.overdue.some((o) => o.id === fast.id) && report.failedLast30Days.some((f) => f.id === broken.id);
      },
      { what: 'the report to see the rotations' },
    );
    const rep = report!;
    const overdue = rep.overdue.map((o) => o.id);
    expect(overdue).toEqual(expect.arrayContaining([never.id, fast.id, broken.id]));
    expect(overdue).not.toContain(compliant.id);
    expect(rep.overdue.find((o) => o.id === never.id)?.reason).toBe('no rotation on record');
    expect(rep.overdue.find((o) => o.id === fast.id)?.reason).toMatch(/^last rotated \S+ ago; the schedule allows 1s$/);
    expect(rep.lastRotations.find((l) => l.id === compliant.id)).toMatchObject({ overdue: false, lastRotation: expect.any(String) });
    expect(rep.failedLast30Days.find((f) => f.id === broken.id)).toMatchObject({ outcome: 'rolled-back', failedStep: `verify login as ${broken.input.postgres.accounts[0]}` });
    expect(rep.notRotatedFor90Days.map((n) => n.id)).toEqual(expect.arrayContaining([never.id, broken.id]));
    expect(rep.notRotatedFor90Days.map((n) => n.id)).not.toContain(compliant.id);
    expect(rep.notes.join('\n')).toMatch(/rotations older than that are not visible here/); // the dev server keeps a day of history

    const md = await world.run(['report']);
    expect(md.code, md.stderr).toBe(0);
    const section = (title: string) => md.stdout.split(/^## /m).find((p) => p.startsWith(title)) ?? '';
    expect(md.stdout).toMatch(/^# Secret rotation compliance report\n/);
    expect(section('Overdue secrets')).toContain(`| ${never.id} | every 30d | never | no rotation on record |`);
    expect(section('Overdue secrets')).not.toContain(compliant.id);
    expect(section('Failed or rolled-back rotations')).toMatch(new RegExp(`\\| ${broken.id} \\| [^|]+ \\| rolled-back \\| verify login as`));
    expect(section('Not rotated for more than 90 days')).toContain(`| ${never.id} | never |`);
  });
});
