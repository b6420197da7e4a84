/** Shared set-up for tests that run workflows on the real dev server. */
import { randomUUID } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import { loadTemporalConfig, type TemporalConfig } from '../../client/config';
import { connectTemporal } from '../../client/connection';
import { createRotatorWorker, type RotatorWorkerOptions } from '../../workers/worker';

/** A client and a running worker on a task queue of the test's own. */
export interface TemporalHarness {
  config: TemporalConfig;
  client: Client;
  connection: Connection;
  taskQueue: string;
  stop(): Promise<void>;
}

export async function startHarness(opts: Omit<RotatorWorkerOptions, 'config'> & { prefix: string }): Promise<TemporalHarness> {
  const config = loadTemporalConfig();
  const taskQueue = opts.taskQueue ?? `${opts.prefix}-${randomUUID()}`;
  const { client, connection } = await connectTemporal(config);
  const w = await createRotatorWorker({ ...opts, config, taskQueue });
  const running = w.worker.run();
  return {
    config,
    client,
    connection,
    taskQueue,
    async stop() {
      w.worker.shutdown();
      await running;
      await w.close();
      await connection.close();
    },
  };
}
