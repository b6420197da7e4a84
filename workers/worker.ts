/**
 * The worker: hosts every rotator workflow and the activities built from injected clients.
 * Used by `rotator worker`, `npm start`, and the tests (which give their own task queue).
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { TemporalConfig } from '../client/config';
import { dataConverter } from '../client/connection';

/** What a worker needs besides the connection settings. */
export interface RotatorWorkerOptions {
  config: TemporalConfig;
  /** The activity implementations, already built over their clients by a factory. */
  activities: object;
  /** Defaults to the task queue in the config. */
  taskQueue?: string;
  /** Defaults to rotator's workflows; tests may host their own. */
  workflowsPath?: string;
  /** A prebuilt bundle (tests build it once) instead of `workflowsPath`. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Sticky cache size: bounded so thousands of parked rotations do not hold memory. */
  maxCachedWorkflows?: number;
  /** How long in-flight activities get to finish on shutdown before they are handed back. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  identity?: string;
  /** Worker interceptors (the crash tests kill the process from one). */
  interceptors?: WorkerOptions['interceptors'];
}

/** A worker and the connection it owns; `close()` after `run()` settles. */
export interface RotatorWorker {
  worker: Worker;
  close(): Promise<void>;
}

export async function createRotatorWorker(opts: RotatorWorkerOptions): Promise<RotatorWorker> {
  const connection = await NativeConnection.connect({ address: opts.config.address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: opts.config.namespace,
      taskQueue: opts.taskQueue ?? opts.config.taskQueue,
      ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: opts.workflowsPath ?? require.resolve('../workflows') }),
      activities: opts.activities,
      dataConverter: dataConverter(opts.config),
      maxCachedWorkflows: opts.maxCachedWorkflows ?? 500,
      shutdownGraceTime: opts.shutdownGraceTime ?? '30s',
      ...(opts.identity ? { identity: opts.identity } : {}),
      ...(opts.interceptors ? { interceptors: opts.interceptors } : {}),
    });
    return { worker, close: () => connection.close() };
  } catch (err) {
    await connection.close();
    throw err;
  }
}
