/**
 * A worker in a child process, for the crash tests. With CRASH_AFTER=<activity>, it kills
 * itself with SIGKILL the first time that activity's work is done, before Temporal hears of
 * it, so the server must time the attempt out and a new worker must run it again: every
 * step is proven idempotent on the real server. Its stores reach moto at AWS_ENDPOINT_URL.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Context } from '@temporalio/activity';
import { connectPostgres, createActivities } from '../../activities/index';
import { AwsSecretsManagerStore, createAwsSecretsManagerClient } from '../../activities/stores/aws';
import { loadTemporalConfig } from '../../client/config';
import { createRotatorWorker } from '../../workers/worker';
import { registry } from './postgres';

async function main(): Promise<void> {
  const { TASK_QUEUE, CRASH_AFTER, CRASH_MARKER } = process.env;
  if (!TASK_QUEUE) throw new Error('TASK_QUEUE is not set');
  const store = new AwsSecretsManagerStore({
    name: 'aws',
    client: createAwsSecretsManagerClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }),
  });
  const w = await createRotatorWorker({
    config: loadTemporalConfig(),
    taskQueue: TASK_QUEUE,
    activities: createActivities({ stores: registry([store]), connect: connectPostgres }),
    interceptors: {
      activity: [
        () => ({
          inbound: {
            async execute(input, next) {
              const result = await next(input);
              if (CRASH_AFTER && CRASH_MARKER && Context.current().info.activityType === CRASH_AFTER && !existsSync(CRASH_MARKER)) {
                writeFileSync(CRASH_MARKER, CRASH_AFTER);
                process.kill(process.pid, 'SIGKILL');
              }
              return result;
            },
          },
        }),
      ],
    },
  });
  process.stdout.write('worker ready\n');
  await w.worker.run();
  await w.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-worker: ${String(err)}\n`);
  process.exitCode = 1;
});
