/**
 * `npm run bench [-- overhead openbao leak scale] [--n1 30] [--n50 100] …`: starts the real
 * local services (the tests' startServices()), runs the benchmarks asked for (all by default)
 * and writes bench/results/<name>.md with its JSON twin. Every loop is bounded; all traffic
 * goes to 127.0.0.1. See bench/README.md for what each one measures and the knobs.
 */
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { type BenchContext, LoadSampler, RESULTS_DIR, type ResultHeader, machine, openContext, versions, writeResults } from './lib/context';
import { createBenchDatabase, dropBenchData, dualAccountInput, seedSecrets, writeInventory } from './lib/fixtures';
import { startWorker, type WorkerProcess } from './lib/worker';
import { leakMarkdown, runLeak } from './leak';
import { openBaoMarkdown, runOpenBao } from './openbao';
import { type Baseline, overheadMarkdown, overheadSecrets, runOverhead, type OverheadResult } from './overhead';
import { runRoundTrips } from './roundtrips';
import { type ParkedOnFile, runParked, runScheduleSync, scaleMarkdown, type ScaleResult } from './scale';

const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

const NAMES = ['overhead', 'openbao', 'leak', 'scale'] as const;
type Name = (typeof NAMES)[number];

function options() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      n1: { type: 'string', default: process.env.BENCH_N1 ?? '30' },
      n50: { type: 'string', default: process.env.BENCH_N50 ?? '100' },
      concurrency: { type: 'string', default: process.env.BENCH_CONCURRENCY ?? '50' },
      warmup: { type: 'string', default: process.env.BENCH_WARMUP ?? '3' },
      incidents: { type: 'string', default: process.env.BENCH_INCIDENTS ?? '20' },
      'cli-incidents': { type: 'string', default: process.env.BENCH_CLI_INCIDENTS ?? '3' },
      inventory: { type: 'string', default: process.env.BENCH_INVENTORY ?? '10000' },
      // 2,000 did not fit in ~10 minutes here (bench/results/scale-2000-cache500.md, scale-2000-cache2500.md)
      parked: { type: 'string', default: process.env.BENCH_PARKED ?? '1000' },
      grace: { type: 'string', default: process.env.BENCH_GRACE_S ?? '' },
      'worker-cache': { type: 'string', default: process.env.BENCH_WORKER_CACHE ?? '' },
      'skip-sync': { type: 'boolean', default: process.env.BENCH_SKIP_SYNC === '1' },
      out: { type: 'string', default: process.env.BENCH_SCALE_OUT ?? 'scale' },
    },
  });
  const bad = positionals.filter((p) => !(NAMES as readonly string[]).includes(p));
  if (bad.length) throw new Error(`unknown benchmark ${bad.join(', ')}; choose from ${NAMES.join(', ')}`);
  const int = (k: keyof typeof values) => {
    const n = Number(values[k]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${k}: expected a whole number`);
    return n;
  };
  return {
    only: new Set<Name>(positionals.length ? (positionals as Name[]) : NAMES),
    n1: int('n1'),
    n50: int('n50'),
    concurrency: int('concurrency'),
    warmup: int('warmup'),
    incidents: int('incidents'),
    cliIncidents: int('cli-incidents'),
    inventory: int('inventory'),
    parked: int('parked'),
    graceS: values.grace ? int('grace') : undefined,
    workerCache: values['worker-cache'] ? int('worker-cache') : undefined,
    skipSync: values['skip-sync'] === true,
    scaleOut: values.out,
  };
}

/** The other scale-*.json results on file (other sizes or worker caches), for comparison. */
function parkedOnFile(except: string): ParkedOnFile[] {
  return readdirSync(RESULTS_DIR)
    .filter((f) => /^scale.*\.json$/.test(f) && f !== `${except}.json`)
    .flatMap((f) => {
      const d = JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as { date: string; load: { mean: number }; result: ScaleResult };
      return d.result.parked ? [{ file: f, date: d.date, loadMean: d.load.mean, parked: d.result.parked }] : [];
    });
}

/** Ends whatever still runs on this run's task queues (a run cut short leaves rotations behind). */
async function terminateLeftovers(ctx: BenchContext): Promise<void> {
  for await (const w of ctx.client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
    if (w.taskQueue.includes(ctx.tag)) await ctx.client.workflow.getHandle(w.workflowId, w.runId).terminate('benchmark clean-up');
  }
}

/** The same benchmark's results before this changes, kept in bench/results/baseline/ for the before/after tables. */
function baseline<T>(name: string): Baseline<T> | undefined {
  const file = join(RESULTS_DIR, 'baseline', `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Baseline<T>) : undefined;
}

async function header(ctx: BenchContext, load: LoadSampler, startedAt: number): Promise<ResultHeader> {
  return { date: new Date().toISOString(), machine: machine(), versions: await versions(ctx), load: load.stop(), durationS: Math.round((Date.now() - startedAt) / 1000) };
}

async function main(): Promise<void> {
  const o = options();
  // the SDK's INFO lines (webpack statistics, worker state) would drown the progress lines
  Runtime.install({ logger: new DefaultLogger('WARN') });
  say(`load average now ${loadavg().map((x) => x.toFixed(2)).join(' ')}; running ${[...o.only].join(', ')}`);
  const ctx = await openContext();
  const db = await createBenchDatabase(ctx);
  let worker: WorkerProcess | undefined;
  const has = (n: Name) => o.only.has(n);
  try {
    // one worker for benchmarks 1-3: the production `rotator worker`, on a task queue of this run's own
    const inventoryFile = join(ctx.dir, 'rotations.yaml');
    const taskQueue = `bench-${ctx.tag}`;
    const plan = [
      { concurrency: 1, n: o.n1 },
      { concurrency: o.concurrency, n: o.n50 },
    ];
    const ovhInputs = has('overhead') || has('openbao') ? await overheadSecrets(ctx, db, Math.max(o.concurrency, 1)) : [];
    const leakInputs = has('leak') ? Array.from({ length: o.incidents + o.cliIncidents }, (_, i) => dualAccountInput(ctx, db, 'leak', i)) : [];
    const leakPasswords = leakInputs.length ? await seedSecrets(ctx, leakInputs) : new Map<string, string>();
    writeInventory(inventoryFile, leakInputs);
    const inventoryText = readFileSync(inventoryFile, 'utf8');
    if (has('overhead') || has('openbao') || has('leak')) {
      say('starting rotator worker');
      worker = await startWorker(
        ctx.childEnv({ ROTATOR_INVENTORY: inventoryFile, ROTATOR_TASK_QUEUE: taskQueue, ROTATOR_AUDIT_LOG: join(ctx.dir, 'worker-audit.jsonl'), ROTATOR_POSTMORTEM_DIR: join(ctx.dir, 'postmortems') }),
        join(ctx.dir, 'worker.log'),
      );
    }

    let overhead: OverheadResult | undefined;
    if (has('overhead') || has('openbao')) {
      const started = Date.now();
      const load = new LoadSampler();
      overhead = await runOverhead(ctx, { inputs: ovhInputs, inventoryText, target: { taskQueue, workerPid: worker?.pid }, plan, warmup: o.warmup, engineOnly: !has('overhead'), say });
      if (has('overhead')) {
        overhead.roundTrips = await runRoundTrips(ctx.env.TEMPORAL_ADDRESS, { runs: 10, privateServers: process.env.BENCH_PRIVATE_TEMPORAL !== '0', say });
        writeResults('overhead', 'Engine overhead: a dual-account PostgreSQL rotation on Temporal vs the raw floor', await header(ctx, load, started), overheadMarkdown(overhead, baseline('overhead')), { config: { plan, warmup: o.warmup, store: 'OpenBao KV v2 (audited)' }, result: overhead });
        say('wrote bench/results/overhead.md');
      }
    }
    if (has('openbao') && overhead) {
      const started = Date.now();
      const load = new LoadSampler();
      const r = await runOpenBao(ctx, db, { plan, warmup: o.warmup, rotator: overhead.runs, say });
      writeResults('openbao-comparison', "Side by side: rotator vs OpenBao's database secrets engine (static roles)", await header(ctx, load, started), openBaoMarkdown(r, baseline('openbao-comparison')), { config: { plan }, result: r });
      say('wrote bench/results/openbao-comparison.md');
    }
    if (has('leak')) {
      const started = Date.now();
      const load = new LoadSampler();
      const r = await runLeak(ctx, { inputs: leakInputs, passwords: leakPasswords, inventoryFile, inventoryText, taskQueue, incidents: o.incidents, cliIncidents: o.cliIncidents, say });
      writeResults('leak-containment', 'Leak containment: from `rotator leak` to PostgreSQL refusing the leaked password', await header(ctx, load, started), leakMarkdown(r, baseline('leak-containment')), { config: { incidents: o.incidents, cliIncidents: o.cliIncidents }, result: r });
      say('wrote bench/results/leak-containment.md');
    }
    await worker?.stop();
    worker = undefined;
    if (has('scale')) {
      const started = Date.now();
      const load = new LoadSampler();
      const syncs = o.skipSync ? [] : await runScheduleSync(ctx, db, { secrets: o.inventory, say });
      // the grace must outlast starting them all: parking ran at 4 to 7 a second here (the
      // parked ones' drain checks and other users' test runs slow the rest down), so 0.3 s each
      const graceS = o.graceS ?? Math.max(120, Math.ceil(o.parked * 0.3));
      say(`parking ${o.parked} rotations with a ${graceS} s grace`);
      const parked = o.parked > 0 ? await runParked(ctx, db, { rotations: o.parked, graceS, workerCache: o.workerCache, say }) : undefined;
      const r: ScaleResult = { inventory: o.inventory, syncs, parked };
      const h = await header(ctx, load, started);
      const others = parkedOnFile(o.scaleOut);
      const title = `Scale: ${o.inventory.toLocaleString('en')}-secret inventory sync and ${o.parked.toLocaleString('en')} rotations parked in grace`;
      writeResults(o.scaleOut, title, h, scaleMarkdown(r, { load: h.load.mean, others }), { config: { inventory: o.inventory, parked: o.parked, graceS, workerCache: o.workerCache ?? 500 }, result: r });
      say(`wrote bench/results/${o.scaleOut}.md`);
    }
  } finally {
    await worker?.stop();
    await terminateLeftovers(ctx).catch((err: unknown) => say(`clean-up of workflows failed: ${String(err)}`));
    await dropBenchData(ctx, db).catch((err: unknown) => say(`clean-up failed: ${String(err)}`));
    await ctx.close();
    if (!process.env.BENCH_KEEP_DIR) rmSync(ctx.dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  say(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
