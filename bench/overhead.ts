/**
 * Benchmark 1 (and the profile of 5): what Temporal costs a dual-account PostgreSQL rotation.
 *
 * The engine: `rotatePostgresDualAccount` started through the client facade (startRotation)
 * and run by `rotator worker` in a child process, zero grace. The floor: the very same
 * activities, built by the same factory over the same store (OpenBao KV, audited to a JSON
 * lines file like the production worker's) and the same connector, called in order in this
 * process: pickInactiveAccount -> stagePassword -> setPassword -> verifyLogin -> promote ->
 * lockAccount. Each secret starts from a current account that exists, so every measured
 * rotation takes the full path and locks the old account.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { JsonLinesAuditSink } from '../activities/audit';
import { connectPostgres, createActivities } from '../activities/index';
import { createAdminPool } from '../activities/postgres/admin-pool';
import { createStoreRegistry } from '../activities/stores/registry';
import { startRotation } from '../client/rotations';
import { parseInventory } from '../inventory';
import type { PostgresRotationInput, RotationResult } from '../workflows/types';
import type { BenchContext } from './lib/context';
import { type BenchDatabase, dualAccountInput, seedSecrets } from './lib/fixtures';
import { type EngineParts, type EngineRun, FloorProfile, engineProfile, scramCost } from './lib/profile';
import { cpuPer, readCpu } from './lib/cpu';
import { type Summary, round, rounded, since, summarize } from './lib/stats';
import { table } from './lib/context';
import { type RoundTrips, roundTripsMarkdown } from './roundtrips';

/** One measured batch: a mode at a concurrency. */
export interface RunFigures {
  mode: 'engine' | 'floor';
  concurrency: number;
  rotations: number;
  failures: number;
  wallS: number;
  rotationsPerS: number;
  /** Wall time per rotation, ms (at concurrency > 1 it includes waiting for a worker slot). */
  latencyMs: Summary;
  /** CPU ms per rotation by process over the run (`other`: the machine's busy time no listed process accounts for). */
  cpuMsPerRotation?: Record<string, number>;
}

/** What the engine side needs: a worker polling `taskQueue` in the bench namespace. */
export interface EngineTarget {
  taskQueue: string;
  /** The worker's process, for its CPU time. */
  workerPid?: number;
}

type Sample = { ms: number; ok: boolean; run?: EngineRun };

/** Rotates with `concurrency` lanes, lane k always rotating secret k, until `n` rotations are done. */
async function lanes(inputs: PostgresRotationInput[], n: number, concurrency: number, rotate: (input: PostgresRotationInput) => Promise<Sample>): Promise<{ samples: Sample[]; wallMs: number }> {
  if (inputs.length < concurrency) throw new Error(`need ${concurrency} secrets, have ${inputs.length}`);
  const samples: Sample[] = [];
  let issued = 0;
  const t0 = performance.now();
  await Promise.all(
    inputs.slice(0, concurrency).map(async (input) => {
      while (issued < n) {
        issued++;
        try {
          samples.push(await rotate(input));
        } catch {
          samples.push({ ms: NaN, ok: false });
        }
      }
    }),
  );
  return { samples, wallMs: since(t0) };
}

function figures(mode: RunFigures['mode'], concurrency: number, r: { samples: Sample[]; wallMs: number; cpu: Record<string, number> }): RunFigures {
  const ok = r.samples.filter((s) => s.ok);
  return {
    cpuMsPerRotation: Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, round(v, 1)])),
    mode,
    concurrency,
    rotations: r.samples.length,
    failures: r.samples.length - ok.length,
    wallS: r.wallMs / 1000,
    rotationsPerS: ok.length / (r.wallMs / 1000),
    latencyMs: rounded(summarize(ok.map((s) => s.ms))),
  };
}

/** The floor: the production activities over the production store registry, called directly. */
export function floorRotator(ctx: BenchContext, inventoryText: string, profile: FloorProfile) {
  const inventory = parseInventory(inventoryText, 'bench inventory');
  const stores = profile.stores(createStoreRegistry(inventory, profile.sink(new JsonLinesAuditSink(join(ctx.dir, 'floor-audit.jsonl')))));
  // as `rotator worker` builds them (cli/commands/worker.ts): admin sessions pooled
  const pool = createAdminPool();
  const a = createActivities({ stores, connect: profile.connect(connectPostgres), connectAdmin: profile.connect(pool) });
  const rotate = async (input: PostgresRotationInput): Promise<Sample> => {
    const { ref, postgres: pg } = input;
    const t0 = performance.now();
    const pick = await profile.step('pickInactiveAccount', () => a.pickInactiveAccount(ref, pg));
    const versionId = await profile.step('stagePassword', () => a.stagePassword(ref, pg, pick.inactive, input.password, `floor/${input.secretId}/${randomUUID()}/stage`));
    await profile.step('setPassword', () => a.setPassword(ref, pg, pick.inactive, versionId));
    await profile.step('verifyLogin', () => a.verifyLogin(ref, pg, versionId));
    await profile.step('promote', () => a.promote(ref, versionId));
    if (pick.active) await profile.step('lockAccount', () => a.lockAccount(pg, pick.active!, pg.terminateSessions));
    return { ms: since(t0), ok: true };
  };
  return Object.assign(rotate, { close: () => pool.end() });
}

/** The engine: a rotation workflow per call, started as the CLI starts one. */
export function engineRotator(ctx: BenchContext, target: EngineTarget) {
  return async (input: PostgresRotationInput): Promise<Sample> => {
    const clientStart = Date.now();
    const t0 = performance.now();
    const handle = await startRotation(ctx.client, target.taskQueue, { workflowType: 'rotatePostgresDualAccount', input });
    const r = (await handle.result()) as RotationResult;
    const latency = since(t0);
    return { ms: latency, ok: r.outcome === 'rotated', run: { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, clientStart, clientEnd: Date.now() } };
  };
}

/** Everything benchmark 1 measured, and the profile (5). */
export interface OverheadResult {
  runs: RunFigures[];
  ratios: Array<{ concurrency: number; p50: number; p95: number; throughput: number }>;
  floorSteps: Record<string, Record<string, number>>;
  engine: Record<number, EngineParts>;
  scram: { verifierMs: number; loginPbkdf2Ms: number };
  /** The engine's cost per step with no-op activities (filled in by the runner). */
  roundTrips?: RoundTrips[];
}

/** Secrets for the overhead runs: as many as the highest concurrency. */
export async function overheadSecrets(ctx: BenchContext, db: BenchDatabase, count: number): Promise<PostgresRotationInput[]> {
  const inputs = Array.from({ length: count }, (_, i) => dualAccountInput(ctx, db, 'ovh', i, 0));
  await seedSecrets(ctx, inputs);
  return inputs;
}

export async function runOverhead(
  ctx: BenchContext,
  o: { inputs: PostgresRotationInput[]; inventoryText: string; target: EngineTarget; plan: Array<{ concurrency: number; n: number }>; warmup: number; engineOnly?: boolean; say: (line: string) => void },
): Promise<OverheadResult> {
  const profile = new FloorProfile();
  const floor = floorRotator(ctx, o.inventoryText, profile);
  const engine = engineRotator(ctx, o.target);
  o.say(`warm-up: ${o.warmup} engine and ${o.warmup} floor rotations`);
  await lanes(o.inputs, o.warmup, 1, engine);
  await lanes(o.inputs, o.warmup, 1, floor);
  profile.reset();

  const runs: RunFigures[] = [];
  const engineParts: Record<number, EngineParts> = {};
  let floorSteps: OverheadResult['floorSteps'] = {};
  const measured = async (n: number, concurrency: number, rotate: Parameters<typeof lanes>[3]) => {
    const before = readCpu(o.target.workerPid);
    const r = await lanes(o.inputs, n, concurrency, rotate);
    return { ...r, cpu: cpuPer(before, readCpu(o.target.workerPid), r.samples.length) };
  };
  for (const { concurrency, n } of o.plan) {
    const e = await measured(n, concurrency, engine);
    runs.push(figures('engine', concurrency, e));
    o.say(`engine c=${concurrency}: ${n} rotations in ${(e.wallMs / 1000).toFixed(1)} s`);
    engineParts[concurrency] = await engineProfile(ctx.client, e.samples.flatMap((s) => (s.ok && s.run ? [s.run] : [])));
    profile.reset();
    if (o.engineOnly) continue;
    const f = await measured(n, concurrency, floor);
    runs.push(figures('floor', concurrency, f));
    o.say(`floor  c=${concurrency}: ${n} rotations in ${(f.wallMs / 1000).toFixed(1)} s`);
    if (concurrency === 1) floorSteps = profile.means();
  }
  const ratios = o.plan.flatMap(({ concurrency }) => {
    const e = runs.find((r) => r.mode === 'engine' && r.concurrency === concurrency)!;
    const f = runs.find((r) => r.mode === 'floor' && r.concurrency === concurrency);
    if (!f) return [];
    return [{ concurrency, p50: e.latencyMs.p50 / f.latencyMs.p50, p95: e.latencyMs.p95 / f.latencyMs.p95, throughput: f.rotationsPerS / e.rotationsPerS }];
  });
  await floor.close();
  return { runs, ratios, floorSteps, engine: engineParts, scram: await scramCost() };
}

const f1 = (x: number) => x.toFixed(1);

/** What was changed in rotator for speed, and why each is safe. */
const CHANGES = [
  '1. **Local activities for the database steps** (workflows/rotate-postgres-dual-account.ts, presets LOCAL_DATABASE_CALL / LOCAL_VERIFY_CALL): pickInactiveAccount, stagePassword, setPassword, verifyLogin, countSessions and lockAccount run in the worker inside the workflow task, recorded as markers, instead of each being scheduled through the server (on this server each regular activity costs about 40 ms of dispatch plus a workflow task round trip of about 40 ms: see the round-trip table). `promote` stays a regular activity: it is recorded in history before anything after it runs, whereas a dead worker\'s local activities are re-run with everything since the last workflow task, and pick re-run after promote would pick the other account. Every step was already idempotent (tokens, verifiers); the crash-anywhere tests pass (a worker that dies inside local activities is noticed after the workflow task timeout, 10 s). Runs started before the change replay as they ran (`patched(\'local-database-steps\')`); test/replay.test.ts passes. A local activity\'s failure reaches the workflow as the ApplicationFailure itself, so `reasonOf` (workflows/runbook.ts) now reads that too.',
  '2. **Pooled admin sessions** (activities/postgres/admin-pool.ts, wired in by `rotator worker`): setPassword, lockAccount, countSessions and the leak response\'s session queries take a session from a small pool per server, database and admin credential (10 sessions, closed after 10 s idle) instead of a new TCP connection, backend process and SCRAM login each; verification still logs in afresh as the account. This is what took the floor down as well.',
  '',
  'Not changed, and why: activity retry settings (initialInterval only matters after a failure; no run here had one); worker options (maxConcurrentActivityTaskExecutions 100 and the workflow cache of 500 exceed what 50 concurrent rotations use; at concurrency 50 the machine\'s two CPUs are the limit, see the CPU table); the dev server\'s dispatch settings (history.transferProcessorMaxPollRPS, eager activities) are the services\' configuration, shared with the other engineers\' test runs, not rotator\'s: their effect is measured on a private server in the round-trip table.',
].join('\n');

function cpuTable(runs: RunFigures[]): string {
  const keys = ['worker', 'benchProcess', 'temporalServer', 'postgres', 'openbao', 'other'];
  const names: Record<string, string> = { worker: 'rotator worker', benchProcess: 'bench process (floor, client)', temporalServer: 'Temporal server', postgres: 'PostgreSQL', openbao: 'OpenBao', other: 'other' };
  return table(
    ['mode', 'concurrency', ...keys.map((k) => names[k]), 'total listed'],
    runs.map((r) => {
      const c = r.cpuMsPerRotation ?? {};
      return [r.mode, r.concurrency, ...keys.map((k) => (c[k] === undefined ? '—' : c[k].toFixed(1))), keys.filter((k) => k !== 'other').reduce((a, k) => a + (c[k] ?? 0), 0).toFixed(1)];
    }),
  );
}
const f2 = (x: number) => x.toFixed(2);

/** A results file of an earlier run (bench/results/baseline/), for before/after tables. */
export interface Baseline<T> {
  date: string;
  load: { mean: number; max: number };
  result: T;
}

/** Before and after the changes of this issue, from a baseline run of the same benchmark. */
function beforeAfter(r: OverheadResult, base: Baseline<OverheadResult>): string {
  const rows = r.runs.map((x) => {
    const b = base.result.runs.find((y) => y.mode === x.mode && y.concurrency === x.concurrency);
    return [x.mode, x.concurrency, b ? f1(b.latencyMs.p50) : '—', f1(x.latencyMs.p50), b ? f1(b.latencyMs.p95) : '—', f1(x.latencyMs.p95), b ? f2(b.rotationsPerS) : '—', f2(x.rotationsPerS)];
  });
  const ratios = r.ratios.map((x) => {
    const b = base.result.ratios.find((y) => y.concurrency === x.concurrency);
    return [x.concurrency, b ? `${f2(b.p50)}x` : '—', `${f2(x.p50)}x`, b ? `${f2(b.throughput)}x` : '—', `${f2(x.throughput)}x`];
  });
  return [
    `Before: the same benchmark on the code before these changes, run ${base.date} (load average mean ${base.load.mean}, max ${base.load.max}); after: this run.`,
    '',
    table(['mode', 'concurrency', 'p50 ms before', 'p50 ms after', 'p95 ms before', 'p95 ms after', 'rotations/s before', 'rotations/s after'], rows),
    '',
    table(['concurrency', 'p50 engine / floor before', 'after', 'throughput floor / engine before', 'after'], ratios),
  ].join('\n');
}

/** Whether the goal "engine overhead under 1.3x the floor" is met, in words, from the figures. */
export function overheadGoal(r: OverheadResult): string {
  return r.ratios
    .map((x) => `at concurrency ${x.concurrency}, p50 engine / floor ${f2(x.p50)}x and throughput floor / engine ${f2(x.throughput)}x: ${x.p50 < 1.3 && x.throughput < 1.3 ? 'met' : 'NOT met'}`)
    .join('; ');
}

/** Where a rotation's time goes at concurrency 1: the floor's parts, then what the engine adds, by the histories. */
function whereTime(r: OverheadResult): string {
  const e = r.engine[1];
  const steps = Object.entries(r.floorSteps);
  if (!e || steps.length === 0) return '';
  const sum = (k: 'store' | 'audit' | 'pgConnect' | 'pgQuery' | 'pgEnd' | 'ownCode' | 'total') => steps.reduce((a, [, p]) => a + p[k], 0);
  // the work of the steps that ran as regular activities, and of those that ran inside workflow tasks
  const remoteWork = Object.entries(e.activities).reduce((a, [k, x]) => a + (r.floorSteps[k]?.total ?? 0) * x.count, 0);
  const localWork = e.localActivities > 0 ? sum('total') - remoteWork : 0;
  const engineMs = r.runs.find((x) => x.mode === 'engine' && x.concurrency === 1)?.latencyMs.mean ?? NaN;
  const rows: Array<[string, number]> = [
    ['OpenBao KV requests (the store)', sum('store')],
    ['audit records (append + fdatasync)', sum('audit')],
    ['PostgreSQL: sessions, statements, disconnects', sum('pgConnect') + sum('pgQuery') + sum('pgEnd')],
    [`own code (of which SCRAM verifiers ${f1(2 * r.scram.verifierMs)})`, sum('ownCode')],
    ['Temporal: waiting for the server to dispatch tasks (workflow tasks, activities)', e.workflowTaskDispatch + e.activityDispatch],
    ['Temporal: the worker (workflow code, local-activity and activity bookkeeping, codec, reporting)', e.workflowTaskRun - localWork + e.activityRun - remoteWork],
    ['Temporal: start call and result delivery', e.startCall + e.resultDelivery + e.other],
  ];
  return [
    table(['per rotation, concurrency 1', 'ms', 'share'], [...rows.map(([k, v]) => [k, f1(v), `${Math.round((100 * v) / engineMs)}%`]), ['**engine mean**', `**${f1(engineMs)}**`, '']]),
    '',
    'The first four rows are the floor\'s own parts (the same work in the engine); the Temporal rows are the engine\'s history-based parts less the floor\'s time for the same steps, so the rows add up to about the engine\'s mean.',
  ].join('\n');
}

/** The results page of benchmark 1 and the profile. */
export function overheadMarkdown(r: OverheadResult, base?: Baseline<OverheadResult>): string {
  const runs = table(
    ['mode', 'concurrency', 'rotations', 'failures', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'rotations/s'],
    r.runs.map((x) => [x.mode, x.concurrency, x.rotations, x.failures, f1(x.latencyMs.p50), f1(x.latencyMs.p95), f1(x.latencyMs.p99), f1(x.latencyMs.max), f2(x.rotationsPerS)]),
  );
  const ratios = table(
    ['concurrency', 'p50 engine / floor', 'p95 engine / floor', 'throughput floor / engine'],
    r.ratios.map((x) => [x.concurrency, `${f2(x.p50)}x`, `${f2(x.p95)}x`, `${f2(x.throughput)}x`]),
  );
  const steps = Object.entries(r.floorSteps);
  const floorTable = table(
    ['step', 'total ms', 'store (OpenBao KV)', 'audit write (fdatasync)', 'PG session (admin: from the pool; verify: TCP + SCRAM login)', 'PG queries', 'PG session end', 'own code (SCRAM verifier, JSON)'],
    [
      ...steps.map(([name, p]) => [name, f1(p.total), f1(p.store), f1(p.audit), f1(p.pgConnect), f1(p.pgQuery), f1(p.pgEnd), f1(p.ownCode)]),
      ['**sum**', ...(['total', 'store', 'audit', 'pgConnect', 'pgQuery', 'pgEnd', 'ownCode'] as const).map((k) => `**${f1(steps.reduce((a, [, p]) => a + p[k], 0))}**`)],
    ],
  );
  const engineRows = Object.entries(r.engine).map(([c, e]) => [
    c,
    f1(e.startCall),
    `${f1(e.workflowTaskDispatch)} / ${f1(e.workflowTaskRun)}`,
    `${f1(e.activityDispatch)} / ${f1(e.activityRun)}`,
    f1(e.other),
    f1(e.resultDelivery),
    f1(e.startCall + e.workflowTaskDispatch + e.workflowTaskRun + e.activityDispatch + e.activityRun + e.other + e.resultDelivery),
    `${f1(e.events)} / ${f1(e.workflowTasks)} / ${f1(e.localActivities)}`,
  ]);
  const engineTable = table(['concurrency', 'start call', 'workflow tasks: dispatch / run', 'activities: dispatch / run', 'other', 'result delivery', 'sum ms', 'events / workflow tasks / local activities'], engineRows);
  const e1 = r.engine[1];
  const perActivity = e1
    ? table(
        ['activity', 'engine: dispatch ms', 'engine: run ms', 'floor: step ms'],
        Object.entries(e1.activities).map(([k, a]) => [k, f1(a.dispatch), f1(a.run), r.floorSteps[k] ? f1(r.floorSteps[k].total) : '—']),
      )
    : '';
  return [
    `**Goal: engine overhead under 1.3x the floor** — ${overheadGoal(r)}.`,
    '',
    '## Wall time per rotation and throughput',
    '',
    'Zero grace; every rotation takes the full path (the secret has a current account, so the old one is locked at the end). Store: OpenBao KV v2 (the same store as the OpenBao comparison), audited to a JSON-lines file with fdatasync as `rotator worker` does. The engine is `rotator worker` in a child process, started through the client facade (`startRotation`) and waited on (`result()`); the floor is the same activities, from the same factory over the same store registry and connector, called in order in one process: pickInactiveAccount → stagePassword → setPassword → verifyLogin → promote → lockAccount. At concurrency > 1 each of the concurrent lanes rotates its own secret, one rotation after the other.',
    '',
    runs,
    '',
    ratios,
    '',
    'CPU time per rotation by process over each run (ms; from /proc; `other` is busy CPU no listed process accounts for: other engineers\' test runs on this shared machine, the kernel):',
    '',
    cpuTable(r.runs),
    '',
    '## Profile (concurrency 1)',
    '',
    whereTime(r),
    '',
    'The floor, per step (mean ms; each part timed around the call, charged to the step running):',
    '',
    floorTable,
    '',
    `SCRAM hashing, measured alone on this machine: one verifier (PBKDF2-SHA-256, 4096 iterations, node:crypto, synchronous) ${f2(r.scram.verifierMs)} ms; the client side of one login (pg's WebCrypto PBKDF2, 4096 iterations, in the libuv pool) ${f2(r.scram.loginPbkdf2Ms)} ms. A rotation makes 2 verifiers (setPassword, lockAccount) and 1 login (verification; admin sessions come from the pool and log in only when the pool opens one; before the pool a rotation made 3 logins), about ${f1(2 * r.scram.verifierMs + r.scram.loginPbkdf2Ms)} ms of hashing on our side; PostgreSQL only checks each login's proof (HMACs: it stores the salted keys, no PBKDF2).`,
    '',
    'The engine, per rotation, from the server\'s timestamps in each run\'s history (mean ms): the start call until the server recorded the start; workflow tasks, dispatch (scheduled until the worker picked the task up) and run (picked up until completed: the workflow code and the local activities it ran in the task); activities, dispatch and run (picked up until the server heard of the completion); result delivery (completion until the client held the result). Last column: history events, workflow tasks and local activities per rotation.',
    '',
    engineTable,
    '',
    perActivity,
    ...(base ? ['', '## Before and after the changes made for this benchmark', '', CHANGES, '', beforeAfter(r, base)] : []),
    ...(r.roundTrips
      ? [
          '',
          '### The engine\'s cost per step, with steps that do nothing',
          '',
          'A workflow running six no-op activities one after the other, with rotator\'s worker factory, data converter and payload codec, in this process (p50 of 10 runs after 2 warm-up runs):',
          '',
          roundTripsMarkdown(r.roundTrips),
          '',
          'The dispatch wait is the dev server\'s, not its storage\'s: it is the same in memory. `temporal server start-dev` runs one history shard, whose transfer queue (the tasks that hand workflow and activity tasks to matching) is read at most 20 times a second (history.transferProcessorMaxPollRPS, default 20), so each task a run hands to the server waits for the next read, up to 50 ms, when tasks follow each other. A production cluster spreads workflows over hundreds of shards. With the limit raised and eager activity dispatch on, a regular activity costs about 10 ms and a local one about 4.',
        ]
      : []),
  ].join('\n');
}
