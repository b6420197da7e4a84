/**
 * What every benchmark shares: the real local services (the same `startServices()` the tests
 * use), a Temporal namespace of the benchmarks' own, a client, the machine and versions, a
 * load sampler, and the results writer (bench/results/<name>.md and its JSON twin).
 *
 * A namespace of their own, because other engineers run the test suite on the same dev server
 * meanwhile: 10,000 schedules or 2,000 parked rotations in `default` would slow their
 * visibility queries and `schedules sync` tests. Nothing here prints a secret.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { loadTemporalConfig, type TemporalConfig } from '../../client/config';
import { connectTemporal } from '../../client/connection';
import { startServices, type ServiceEnv } from '../../test/services/services';
import { VERSIONS } from '../../test/services/layout';
import { temporalBinary } from '../../test/services/tools';
import { round } from './stats';

/** The benchmarks' own namespace on the shared dev server. */
export const BENCH_NAMESPACE = 'rotator-bench';

export const RESULTS_DIR = join(__dirname, '..', 'results');

/** The services, a client in the bench namespace, and a scratch directory for this run. */
export interface BenchContext {
  env: ServiceEnv;
  config: TemporalConfig;
  client: Client;
  connection: Connection;
  /** Short random tag naming this run's roles, paths, queues and databases. */
  tag: string;
  /** Scratch directory: inventories, worker logs, the audit log. */
  dir: string;
  /** The environment a `rotator` child process runs with (services + bench namespace). */
  childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** A session as the local superuser (the caller ends it). */
  superuser(database?: string): Promise<PgClient>;
  close(): Promise<void>;
}

export async function openContext(): Promise<BenchContext> {
  const { env } = await startServices();
  Object.assign(process.env, env, { TEMPORAL_NAMESPACE: BENCH_NAMESPACE });
  await ensureNamespace(env.TEMPORAL_ADDRESS);
  const config = loadTemporalConfig();
  const { client, connection } = await connectTemporal(config);
  await waitForNamespace(client);
  const tag = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), `rotator-bench-${tag}-`));
  return {
    env,
    config,
    client,
    connection,
    tag,
    dir,
    childEnv: (extra = {}) => ({ ...process.env, ...env, TEMPORAL_NAMESPACE: BENCH_NAMESPACE, ROTATOR_LOG_LEVEL: 'info', ROTATOR_SDK_LOG_LEVEL: 'WARN', ...extra }),
    async superuser(database = 'postgres') {
      const c = new PgClient({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database });
      await c.connect();
      return c;
    },
    close: () => connection.close(),
  };
}

/** Creates the namespace and its RotatorSecretId search attribute once (what `schedules sync` needs). */
async function ensureNamespace(address: string): Promise<void> {
  const temporal = temporalBinary();
  const cli = (args: string[]) => execFileSync(temporal, [...args, '--address', address], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  try {
    cli(['operator', 'namespace', 'describe', '--namespace', BENCH_NAMESPACE]);
  } catch {
    cli(['operator', 'namespace', 'create', '--namespace', BENCH_NAMESPACE, '--retention', '24h']);
  }
  for (let i = 0; ; i++) {
    try {
      const list = cli(['operator', 'search-attribute', 'list', '--namespace', BENCH_NAMESPACE]);
      if (!list.includes('RotatorSecretId')) cli(['operator', 'search-attribute', 'create', '--namespace', BENCH_NAMESPACE, '--name', 'RotatorSecretId', '--type', 'Keyword']);
      return;
    } catch (err) {
      // a namespace just created reaches every server component after a registry refresh
      if (i >= 30) throw err;
      await sleep(1000);
    }
  }
}

async function waitForNamespace(client: Client): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await client.workflowService.listOpenWorkflowExecutions({ namespace: BENCH_NAMESPACE, maximumPageSize: 1 });
      return;
    } catch (err) {
      if (i >= 30) throw err;
      await sleep(1000);
    }
  }
}

// ---------------------------------------------------------------- machine, versions, load

/** The machine the figures come from. */
export interface Machine {
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  kernel: string;
}

export function machine(): Machine {
  let kernel = '';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux: leave it out
  }
  return { nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()), memoryGiB: round(totalmem() / 2 ** 30, 1), cpuModel: cpus()[0]?.model ?? 'unknown', kernel };
}

/** The versions of everything measured. */
export type Versions = Record<'node' | 'temporalCli' | 'temporalServer' | 'postgres' | 'openbao' | 'temporalSdk', string>;

export async function versions(ctx: BenchContext): Promise<Versions> {
  const cli = execFileSync(temporalBinary(), ['--version'], { encoding: 'utf8' }).trim();
  const info = await ctx.client.workflowService.getSystemInfo({});
  const pg = await ctx.superuser();
  let postgres: string;
  try {
    postgres = String((await pg.query('SHOW server_version')).rows[0]?.server_version);
  } finally {
    await pg.end();
  }
  const health = (await (await fetch(`${ctx.env.VAULT_ADDR}/v1/sys/health`)).json()) as { version?: string };
  const sdk = (JSON.parse(readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')) as { version: string }).version;
  return {
    node: process.version,
    // the CLI is built from the pinned tag with `go install`, which stamps no version of its own
    temporalCli: `${VERSIONS.temporal} (${cli})`,
    temporalServer: info.serverVersion ?? 'unknown',
    postgres,
    // built from the pinned tag by test/services (the binary may report its own build stamp)
    openbao: health.version && `v${health.version}` === VERSIONS.openbao ? health.version : `${VERSIONS.openbao} (pinned build; the binary reports ${health.version ?? 'nothing'})`,
    temporalSdk: sdk,
  };
}

/** One-minute load average, sampled while a benchmark runs: the machine is shared. */
export class LoadSampler {
  private readonly samples: number[] = [];
  private readonly timer: NodeJS.Timeout;
  readonly before = round(loadavg()[0], 2);

  constructor(everyMs = 5000) {
    this.timer = setInterval(() => this.samples.push(loadavg()[0]), everyMs);
    this.timer.unref();
  }

  stop(): { before: number; after: number; min: number; max: number; mean: number } {
    clearInterval(this.timer);
    const after = loadavg()[0];
    const all = [this.before, ...this.samples, after];
    return { before: this.before, after: round(after, 2), min: round(Math.min(...all), 2), max: round(Math.max(...all), 2), mean: round(all.reduce((a, b) => a + b, 0) / all.length, 2) };
  }
}

// ---------------------------------------------------------------- results

/** The header every results file carries. */
export interface ResultHeader {
  date: string;
  machine: Machine;
  versions: Versions;
  load: ReturnType<LoadSampler['stop']>;
  durationS: number;
}

/** Writes bench/results/<name>.md and <name>.json. */
export function writeResults(name: string, title: string, header: ResultHeader, markdownBody: string, json: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const m = header.machine;
  const v = header.versions;
  const l = header.load;
  const md = [
    `# ${title}`,
    '',
    `Run ${header.date} by \`npm run bench\` (${header.durationS} s).`,
    '',
    `- machine: ${m.nproc} CPUs (\`nproc\`), ${m.memoryGiB} GiB memory, ${m.cpuModel}, Linux ${m.kernel}`,
    `- versions: Node ${v.node}; Temporal CLI ${v.temporalCli}, server ${v.temporalServer}, TypeScript SDK ${v.temporalSdk}; PostgreSQL ${v.postgres}; OpenBao ${v.openbao}`,
    `- load average (1 min) while it ran: ${l.before} at start, ${l.after} at end, ${l.min}–${l.max} (mean ${l.mean}). The machine is shared with other engineers' test runs; a load above ${m.nproc} means the benchmark competed for CPU.`,
    '',
    markdownBody.trim(),
    '',
  ].join('\n');
  writeFileSync(join(RESULTS_DIR, `${name}.md`), md);
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify({ name, title, ...header, ...json }, null, 2)}\n`);
}

/** A Markdown table. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
