/**
 * Benchmark 4: scale.
 *
 * - Schedules: an inventory of N secrets; `rotator schedules sync` (the real command, spawned)
 *   from empty, then a resync that changes nothing, then the inventory emptied and synced
 *   again, which deletes them all (clean-up, timed too).
 * - Parked rotations: P rotations started at once by a fresh `rotator worker` child, each
 *   parking in its grace timer after promote; the worker's resident memory is sampled every
 *   second (/proc/<pid>/status) and its peak (VmHWM, reset after start-up so bundling the
 *   workflows does not count); then the time from each grace's end to the rotation's end.
 *   The grace period's drain check runs every 30 s, the production default (client/plans.ts).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { scheduleIdOf } from '../workflows/ids';
import { startRotation } from '../client/rotations';
import type { PostgresRotationInput, RotationResult } from '../workflows/types';
import type { BenchContext } from './lib/context';
import { table } from './lib/context';
import { type BenchDatabase, dualAccountInput, seedSecrets, writeInventory } from './lib/fixtures';
import { type Summary, pool, round, rounded, since, summarize } from './lib/stats';
import { cpuPer, readCpu } from './lib/cpu';
import { startWorker } from './lib/worker';

const BIN = join(__dirname, '..', 'bin', 'rotator.js');

/** One `schedules sync` run. */
export interface SyncRun {
  what: string;
  seconds: number;
  summary: string;
}

/** The parked-rotations run. */
export interface ParkedRun {
  rotations: number;
  graceS: number;
  outcomes: Record<string, number>;
  /** From the first start until the last rotation entered its grace period. */
  allParkedAfterS: number;
  /** The most rotations in their grace period at the same moment. */
  maxParkedAtOnce: number;
  rss: { startupPeakMiB: number; peakMiB: number; whenAllParkedMiB: number; beforeMiB: number; afterMiB: number; timeline: Array<[number, number]> };
  /** Per rotation: from its grace's planned end to the rotation's end, ms. */
  afterGraceMs: Summary;
  /** From the last grace end to the last completion, s. */
  drainS: number;
  /** Drain checks (countSessions) run while parked, from the worker's audit log (one admin read each). */
  drainChecks: number;
  totalS: number;
  /** Mean CPUs busy per process over the run (1 = one core all the time). */
  cpus?: Record<string, number>;
  /** The worker's sticky cache size (`rotator worker --max-cached-workflows`; 500 by default). */
  workerCache?: number;
}

/** Benchmark 4's result. */
export interface ScaleResult {
  inventory: number;
  syncs: SyncRun[];
  parked?: ParkedRun;
}

async function rotatorCli(ctx: BenchContext, args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; out: string; seconds: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { env: ctx.childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
  child.stderr.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, out, seconds: since(t0) / 1000 };
}

export async function runScheduleSync(ctx: BenchContext, db: BenchDatabase, o: { secrets: number; say: (line: string) => void }): Promise<SyncRun[]> {
  const file = join(ctx.dir, 'inventory-10k.yaml');
  const env = { ROTATOR_INVENTORY: file, ROTATOR_TASK_QUEUE: `bench-sched-${ctx.tag}` };
  writeInventory(file, Array.from({ length: o.secrets }, (_, i) => dualAccountInput(ctx, db, 'sch', i)));
  const runs: SyncRun[] = [];
  const sync = async (what: string, expect: RegExp) => {
    const r = await rotatorCli(ctx, ['schedules', 'sync'], env, 30 * 60_000);
    const summary = /applied: .*/.exec(r.out)?.[0] ?? '';
    if (r.code !== 0 || !expect.test(summary)) throw new Error(`schedules sync (${what}) exited ${r.code}: ${summary || r.out.split('\n').slice(-3).join(' / ')}`);
    runs.push({ what, seconds: round(r.seconds, 1), summary });
    o.say(`schedules sync, ${what}: ${r.seconds.toFixed(1)} s (${summary})`);
  };
  try {
    await sync(`${o.secrets} secrets, from empty`, new RegExp(`applied: ${o.secrets} created, 0 updated, 0 deleted`));
    await sync(`${o.secrets} secrets, nothing changed`, new RegExp(`applied: 0 created, 0 updated, 0 deleted, ${o.secrets} unchanged`));
  } finally {
    // clean-up: sync with an emptied inventory would delete them one after the other (~80 ms
    // each here); deleting in parallel is kinder to everyone else's test runs
    const t0 = performance.now();
    let deleted = 0;
    await pool(
      Array.from({ length: o.secrets }, (_, i) => dualAccountInput(ctx, db, 'sch', i).secretId),
      16,
      async (id) => {
        try {
          await ctx.client.schedule.getHandle(scheduleIdOf(id)).delete();
          deleted++;
        } catch (err) {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
        }
      },
    );
    await terminateStray(ctx, env.ROTATOR_TASK_QUEUE);
    runs.push({ what: 'clean-up: every schedule deleted by the benchmark, 16 at a time (not a sync)', seconds: round(since(t0) / 1000, 1), summary: `${deleted} deleted` });
    o.say(`deleted ${deleted} schedules in ${(since(t0) / 1000).toFixed(1)} s`);
  }
  return runs;
}

/** A schedule that happened to fire during the run started a trigger that no worker serves: end it. */
async function terminateStray(ctx: BenchContext, taskQueue: string): Promise<void> {
  for await (const w of ctx.client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) {
    await ctx.client.workflow.getHandle(w.workflowId, w.runId).terminate('benchmark clean-up');
  }
}

export async function runParked(ctx: BenchContext, db: BenchDatabase, o: { rotations: number; graceS: number; workerCache?: number; say: (line: string) => void }): Promise<ParkedRun> {
  const graceMs = o.graceS * 1000;
  const inputs: PostgresRotationInput[] = Array.from({ length: o.rotations }, (_, i) => dualAccountInput(ctx, db, 'park', i, graceMs));
  o.say(`seeding ${o.rotations} secrets`);
  await seedSecrets(ctx, inputs);
  const inventory = join(ctx.dir, 'inventory-park.yaml');
  const audit = join(ctx.dir, 'park-audit.jsonl');
  writeInventory(inventory, []);
  const taskQueue = `bench-park-${ctx.tag}`;
  const worker = await startWorker(ctx.childEnv({ ROTATOR_INVENTORY: inventory, ROTATOR_TASK_QUEUE: taskQueue, ROTATOR_AUDIT_LOG: audit, ROTATOR_POSTMORTEM_DIR: join(ctx.dir, 'postmortems') }), join(ctx.dir, 'worker-park.log'), o.workerCache ? ['--max-cached-workflows', String(o.workerCache)] : []);
  try {
    await sleep(3000); // let start-up settle before the peak is reset
    const startupPeakMiB = worker.memory().peakMiB;
    worker.resetPeak();
    const beforeMiB = worker.memory().rssMiB;
    const timeline: Array<[number, number]> = [];
    const cpu0 = readCpu(worker.pid);
    const t0 = performance.now();
    const sampler = setInterval(() => timeline.push([round(since(t0) / 1000, 0), round(worker.memory().rssMiB, 0)]), 1000);
    const tail = new AuditTail(audit);
    let whenAllParkedMiB = NaN;
    let allParkedAfterS = NaN;
    try {
      const handles: WorkflowHandle[] = [];
      await pool(inputs, 20, async (input) => {
        handles.push(await startRotation(ctx.client, taskQueue, { workflowType: 'rotatePostgresDualAccount', input }));
      });
      o.say(`started ${handles.length} rotations in ${(since(t0) / 1000).toFixed(1)} s`);
      // promote is the last step before the grace timer: the audit log says when each got there
      const deadline = t0 + graceMs + 30 * 60_000;
      for (let promoted = 0; performance.now() < deadline; await sleep(1000)) {
        promoted = tail.read().count((r) => r.operation === 'promote' && r.outcome === 'ok' && !!r.ref?.startsWith(`bench/${ctx.tag}/park/`));
        if (promoted >= o.rotations) {
          allParkedAfterS = since(t0) / 1000;
          whenAllParkedMiB = worker.memory().rssMiB;
          o.say(`all ${o.rotations} promoted (parked in grace) after ${allParkedAfterS.toFixed(1)} s; worker RSS ${whenAllParkedMiB.toFixed(0)} MiB`);
          break;
        }
        if (timeline.length % 15 === 0) o.say(`${promoted}/${o.rotations} promoted`);
      }
      const results: RotationResult[] = [];
      await pool(handles, 100, async (h) => {
        results.push((await h.result()) as RotationResult);
      });
      const totalS = since(t0) / 1000;
      clearInterval(sampler);
      const cpus = Object.fromEntries(Object.entries(cpuPer(cpu0, readCpu(worker.pid), totalS * 1000)).map(([k, v]) => [k, round(v, 2)]));
      const mem = worker.memory();
      return { ...summarizeParked(results, graceMs), rotations: o.rotations, graceS: o.graceS, allParkedAfterS: round(allParkedAfterS, 1), rss: { startupPeakMiB: round(startupPeakMiB, 0), peakMiB: round(mem.peakMiB, 0), whenAllParkedMiB: round(whenAllParkedMiB, 0), beforeMiB: round(beforeMiB, 0), afterMiB: round(mem.rssMiB, 0), timeline }, drainChecks: tail.read().count((r) => r.operation === 'getVersion' && r.outcome === 'ok' && r.ref === db.admin.path) - 2 * o.rotations, totalS: round(totalS, 1), cpus, workerCache: o.workerCache ?? 500 };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await worker.stop();
  }
}

/** The worker's audit log, read as it grows (the part read so far is kept parsed). */
class AuditTail {
  private offset = 0;
  private rest = '';
  readonly records: Array<{ operation?: string; outcome?: string; ref?: string }> = [];

  constructor(private readonly file: string) {}

  read(): this {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return this; // not written yet
    }
    try {
      const buf = Buffer.alloc(1 << 20);
      for (let n; (n = readSync(fd, buf, 0, buf.length, this.offset)) > 0; this.offset += n) {
        const lines = (this.rest + buf.subarray(0, n).toString('utf8')).split('\n');
        this.rest = lines.pop() ?? '';
        for (const l of lines) if (l) this.records.push(JSON.parse(l) as { operation?: string });
      }
    } finally {
      closeSync(fd);
    }
    return this;
  }

  count(pred: (r: AuditTail['records'][number]) => boolean): number {
    return this.records.filter(pred).length;
  }
}

function summarizeParked(results: RotationResult[], graceMs: number): Pick<ParkedRun, 'outcomes' | 'maxParkedAtOnce' | 'afterGraceMs' | 'drainS'> {
  const outcomes: Record<string, number> = {};
  const intervals: Array<[number, number]> = [];
  const lags: number[] = [];
  let lastGraceEnd = 0;
  let lastDone = 0;
  for (const r of results) {
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const grace = r.steps.find((s) => s.name === 'grace period');
    const last = r.steps.at(-1);
    if (!grace || !last?.endedAt) continue;
    const start = Date.parse(grace.startedAt);
    const end = start + graceMs;
    const done = Date.parse(last.endedAt);
    intervals.push([start, Date.parse(grace.endedAt ?? last.endedAt)]);
    lags.push(done - end);
    lastGraceEnd = Math.max(lastGraceEnd, end);
    lastDone = Math.max(lastDone, done);
  }
  // the most grace periods open at one moment: sweep over starts (+1) and ends (-1)
  const edges = intervals.flatMap(([s, e]) => [[s, 1] as const, [e, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let maxParkedAtOnce = 0;
  for (const [, d] of edges) maxParkedAtOnce = Math.max(maxParkedAtOnce, (open += d));
  return { outcomes, maxParkedAtOnce, afterGraceMs: rounded(summarize(lags), 0), drainS: round((lastDone - lastGraceEnd) / 1000, 1) };
}

/** A parked-rotations run kept in bench/results (another size or cache), for comparison. */
export interface ParkedOnFile {
  file: string;
  date: string;
  loadMean: number;
  parked: ParkedRun;
}

const parkedRow = (what: string, p: ParkedRun, loadMean: number) => [
  what,
  p.rotations,
  p.workerCache ?? 500,
  p.graceS,
  p.allParkedAfterS,
  p.maxParkedAtOnce,
  p.rss.peakMiB,
  `${p.afterGraceMs.p50} / ${p.afterGraceMs.p95} / ${p.afterGraceMs.max}`,
  `${(p.drainChecks / p.totalS).toFixed(1)} of ${(p.maxParkedAtOnce / 30).toFixed(1)}`,
  p.totalS,
  loadMean,
];

export function scaleMarkdown(r: ScaleResult, o: { load: number; others?: ParkedOnFile[] } = { load: NaN }): string {
  const parts = r.syncs.length === 0 ? ['(No inventory sync in this run.)'] : [
    `## \`rotator schedules sync\` with an inventory of ${r.inventory.toLocaleString('en')} secrets`,
    '',
    table(['run', 'seconds', 'what sync printed'], r.syncs.map((s) => [s.what, s.seconds.toFixed(1), s.summary])),
    '',
    'Each run is the real command spawned (`node bin/rotator.js schedules sync`), so it includes starting Node, loading and validating the inventory (zod), the plan (a describe per secret, one after the other, and a visibility list of rotator\'s schedules) and applying it (a create, update or delete per schedule, one after the other). The schedules are created in the benchmarks\' own namespace (`rotator-bench`) on a task queue no worker serves, and deleted again afterwards by the benchmark itself, 16 at a time. A describe is a query the schedule\'s own workflow answers on the server (Temporal runs each schedule as a workflow), and each create starts one: the dev server (one SQLite writer) sets the pace.',
  ];
  const p = r.parked;
  if (p) {
    parts.push(
      '',
      `## ${p.rotations.toLocaleString('en')} rotations parked in their grace timers`,
      '',
      table(
        ['measure', 'value'],
        [
          ['rotations started at once (one secret each, one database and group)', p.rotations],
          ['grace period', `${p.graceS} s (drain check every 30 s, the production default)`],
          ['outcomes', Object.entries(p.outcomes).map(([k, v]) => `${v} ${k}`).join(', ')],
          ['all promoted and parked in grace after', `${p.allParkedAfterS} s`],
          ['most parked in grace at the same moment', p.maxParkedAtOnce],
          ['worker RSS before the rotations', `${p.rss.beforeMiB} MiB`],
          ['worker RSS when all were parked', `${p.rss.whenAllParkedMiB} MiB`],
          ['worker peak RSS while they ran (VmHWM, reset after start-up)', `${p.rss.peakMiB} MiB`],
          ['worker peak RSS during start-up (bundling the workflows)', `${p.rss.startupPeakMiB} MiB`],
          ['per rotation, from its grace\'s end to its end: p50 / p95 / max', `${p.afterGraceMs.p50} / ${p.afterGraceMs.p95} / ${p.afterGraceMs.max} ms`],
          ['from the last grace end to the last rotation done', `${p.drainS} s`],
          ['drain checks (countSessions) run while parked', `${p.drainChecks} (${(p.drainChecks / p.totalS).toFixed(1)}/s over the run; ${p.maxParkedAtOnce} parked rotations ask for ${(p.maxParkedAtOnce / 30).toFixed(1)}/s)`],
          ['CPUs busy on average (2 = the whole machine)', p.cpus ? Object.entries(p.cpus).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ') : '—'],
          ['total, first start to last done', `${p.totalS} s`],
        ],
      ),
      '',
      `The worker is \`rotator worker\` with a sticky cache of ${p.workerCache ?? 500} workflows${(p.workerCache ?? 500) < p.rotations ? ' (fewer than the rotations: an evicted one is replayed from its history when its timer fires)' : ''}. RSS over time (s, MiB): ${p.rss.timeline.filter((_, i) => i % 10 === 0).map(([t, m]) => `${t}:${m}`).join(' ')}.`,
    );
    const others = o.others ?? [];
    const bigger = others.filter((x) => x.parked.rotations > p.rotations);
    if (bigger.length > 0) {
      const b = bigger.map((x) => x.parked);
      const list = (f: (x: ParkedRun) => string | number) => b.map(f).join(' and ');
      parts.push(
        '',
        `**Why ${p.rotations.toLocaleString('en')} and not ${b[0].rotations.toLocaleString('en')}:** ${b[0].rotations.toLocaleString('en')} at once does not fit in about ten minutes here. In the runs on file below, getting them all promoted took ${list((x) => `${x.allParkedAfterS} s`)}, so a grace that outlasts that makes a run of at least ${Math.round((2 * Math.min(...b.map((x) => x.allParkedAfterS))) / 60)} minutes; with the graces used (${list((x) => `${x.graceS} s`)}) at most ${list((x) => x.maxParkedAtOnce)} were parked at the same moment, and grace ends ran late by up to ${list((x) => `${Math.round(x.afterGraceMs.max / 1000)} s`)} (p95 ${list((x) => `${Math.round(x.afterGraceMs.p95 / 1000)} s`)}). What limited it is the grace period itself, not memory (peak ${list((x) => `${x.rss.peakMiB} MiB`)} of 24 GiB): every parked rotation wakes every 30 s to count the old account's sessions (a timer, a workflow task, a local activity that reads the admin credential from OpenBao, queries PostgreSQL and writes an fdatasync'd audit record), so ${list((x) => x.maxParkedAtOnce)} parked rotations ask for ${list((x) => `${(x.maxParkedAtOnce / 30).toFixed(0)}/s`)} and this machine served ${list((x) => `${(x.drainChecks / x.totalS).toFixed(0)}/s`)} while also starting the rest, on two CPUs shared with the single-shard dev server (SQLite, one writer, a sync per transaction), OpenBao, PostgreSQL and the other engineers' test runs (load average mean ${bigger.map((x) => x.loadMean).join(' and ')}). A late check pushes its rotation's next timer back, so the lag accumulates. A bigger sticky cache (2,500: no replays when a timer fires) cut the lag at the price of memory; see the table.`,
      );
    }
    if (others.length > 0) {
      parts.push(
        '',
        '### Other parked runs on file',
        '',
        table(
          ['run', 'rotations', 'worker cache', 'grace s', 'all parked after s', 'most parked at once', 'peak RSS MiB', 'grace end to done p50 / p95 / max ms', 'drain checks/s: done of asked', 'total s', 'load mean'],
          [parkedRow('this run', p, o.load), ...others.map((x) => parkedRow(`${x.file} (${x.date.slice(0, 16)})`, x.parked, x.loadMean))],
        ),
      );
    }
  }
  return parts.join('\n');
}
