/**
 * Part of the profile (5): what one step costs the engine when the step does nothing. A
 * workflow runs six no-op activities one after the other (a rotation runs six steps), as
 * regular activities and as local activities, with rotator's worker factory, data converter
 * and codec. Measured on the shared dev server, and on a private in-memory dev server started
 * for the purpose, once as the dev server comes and once with its single history shard's
 * transfer-queue poll limit raised and eager activity dispatch on: the server settings that
 * decide how long a task waits before a worker gets it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadTemporalConfig } from '../client/config';
import { connectTemporal } from '../client/connection';
import { temporalBinary } from '../test/services/tools';
import { createRotatorWorker } from '../workers/worker';
import { BENCH_NAMESPACE, table } from './lib/context';
import { rounded, type Summary, since, summarize } from './lib/stats';

const STEPS = 6;

/** One server's figures: a six-step workflow's wall time, regular vs local activities. */
export interface RoundTrips {
  server: string;
  activities: Summary;
  localActivities: Summary;
}

async function measure(address: string, bundle: WorkflowBundleWithSourceMap, server: string, runs: number): Promise<RoundTrips> {
  const config = { ...loadTemporalConfig(), address, namespace: BENCH_NAMESPACE };
  const { client, connection } = await connectTemporal(config);
  const taskQueue = `bench-rt-${Date.now().toString(36)}`;
  const w = await createRotatorWorker({ config, taskQueue, workflowBundle: bundle, activities: { noop: async (i: number) => i } });
  const running = w.worker.run();
  try {
    const time = async (type: string) => {
      const out: number[] = [];
      for (let i = 0; i < runs + 2; i++) {
        const t0 = performance.now();
        await client.workflow.execute(type, { taskQueue, workflowId: `${taskQueue}-${type}-${i}`, args: [STEPS] });
        if (i >= 2) out.push(since(t0)); // the first two warm the worker up
      }
      return rounded(summarize(out));
    };
    return { server, activities: await time('activityRoundTrips'), localActivities: await time('localActivityRoundTrips') };
  } finally {
    w.worker.shutdown();
    await running;
    await w.close();
    await connection.close();
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, timeout: 500 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

/** A private in-memory dev server on 127.0.0.1:`port`, stopped by the caller. */
async function privateServer(port: number, dynamicConfig: string[]): Promise<ChildProcess> {
  if (await portOpen(port)) throw new Error(`port ${port} is taken: cannot start a private Temporal dev server there`);
  const child = spawn(
    temporalBinary(),
    ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--http-port', String(port + 1), '--metrics-port', String(port + 2), '--namespace', BENCH_NAMESPACE, '--log-level', 'error', ...dynamicConfig.flatMap((d) => ['--dynamic-config-value', d])],
    { stdio: 'ignore' },
  );
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  child.once('exit', () => process.removeListener('exit', orphan));
  for (let i = 0; i < 120 && !(await portOpen(port)); i++) await sleep(250);
  await sleep(1000); // the namespace is registered just after the port opens
  return child;
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(hard);
}

/** The dynamic config that removes the dispatch wait on a one-shard dev server. */
export const FAST_DISPATCH = ['history.transferProcessorMaxPollRPS=1000', 'system.enableActivityEagerExecution=true'];

export async function runRoundTrips(sharedAddress: string, o: { runs: number; privateServers: boolean; say: (line: string) => void }): Promise<RoundTrips[]> {
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows/round-trips'), logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } });
  const out = [await measure(sharedAddress, bundle, 'the shared dev server (as the services start it)', o.runs)];
  o.say(`round trips on the shared server: six activities p50 ${out[0].activities.p50} ms, six local activities p50 ${out[0].localActivities.p50} ms`);
  if (!o.privateServers) return out;
  const port = Number(sharedAddress.split(':').pop()) + 1000;
  for (const [name, dc] of [
    ['a private in-memory dev server, default settings', []],
    [`a private in-memory dev server with ${FAST_DISPATCH.join(', ')}`, FAST_DISPATCH],
  ] as const) {
    const server = await privateServer(port, [...dc]);
    try {
      out.push(await measure(`127.0.0.1:${port}`, bundle, name, o.runs));
      o.say(`round trips on ${name}: six activities p50 ${out.at(-1)!.activities.p50} ms, six local activities p50 ${out.at(-1)!.localActivities.p50} ms`);
    } finally {
      await stopped(server);
    }
  }
  return out;
}

export function roundTripsMarkdown(r: RoundTrips[]): string {
  return table(
    ['server', `${STEPS} no-op activities: p50 / p95 ms`, `per step (p50 / ${STEPS})`, `${STEPS} no-op local activities: p50 / p95 ms`, 'per step'],
    r.map((x) => [x.server, `${x.activities.p50} / ${x.activities.p95}`, (x.activities.p50 / STEPS).toFixed(1), `${x.localActivities.p50} / ${x.localActivities.p95}`, (x.localActivities.p50 / STEPS).toFixed(1)]),
  );
}
