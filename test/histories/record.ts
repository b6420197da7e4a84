/**
 * Records the histories replayed by test/replay.test.ts: a completed rotation, a rolled-back
 * one, an aborted one, and a completed leak response (which first cancels a rotation in its
 * grace period). Run against the local services when a workflow change is meant to be
 * incompatible (and then guard it with patched()); name some to record only those:
 *
 *   npm run services && eval "$(npm run --silent services -- env | sed 's/^/export /')" \
 *     && node --require tsx/cjs test/histories/record.ts [rotated rolled-back aborted leak-contained]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { connectPostgres, createActivities } from '../../activities/index';
import { LogSink } from '../../activities/notify/log';
import { incidentWorkflowId } from '../../client/leaks';
import { createLogger } from '../../client/logger';
import { AwsSecretsManagerStore, createAwsSecretsManagerClient } from '../../activities/stores/aws';
import { abortUpdate, progressQuery } from '../../workflows/messages';
import type { PostgresRotationInput } from '../../workflows/types';
import { newDualAccountSecret, registry } from '../helpers/postgres';
import { leakInputFor } from '../helpers/leak';
import { REPLAY_CODEC_KEYS } from '../helpers/replay-fixture';
import { startHarness, type TemporalHarness } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

async function main(): Promise<void> {
  process.env.ROTATOR_CODEC_KEYS = REPLAY_CODEC_KEYS;
  const store = new AwsSecretsManagerStore({ name: 'aws', client: createAwsSecretsManagerClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) });
  const wanted = new Set(process.argv.slice(2));
  const want = (name: string) => wanted.size === 0 || wanted.has(name);
  const leak = {
    rotations: { getHandle: (id: string, runId?: string) => h.client.workflow.getHandle(id, runId) },
    vault: () => undefined,
    postMortemDir: mkdtempSync(join(tmpdir(), 'rotator-record-')),
    sinks: [new LogSink(createLogger('record'))],
  };
  const h: TemporalHarness = await startHarness({ prefix: 'record', activities: createActivities({ stores: registry([store]), connect: connectPostgres, leak }) });
  const start = (input: PostgresRotationInput, suffix: string) =>
    h.client.workflow.start('rotatePostgresDualAccount', { taskQueue: h.taskQueue, workflowId: `rotation/${input.secretId}${suffix}`, args: [input] });
  const save = async (name: string, w: WorkflowHandle) => {
    await w.result();
    writeFileSync(join(__dirname, `${name}.json`), `${historyToJSON(await w.fetchHistory())}\n`);
    process.stdout.write(`saved ${name}.json\n`);
  };
  try {
    const input = await newDualAccountSecret(store, { timings: { graceMs: 1000, drainPollMs: 300 } });
    await (await start(input, '-bootstrap')).result();
    if (want('rotated')) await save('rotated', await start(input, ''));
    if (want('rolled-back')) await save('rolled-back', await start({ ...input, postgres: { ...input.postgres, check: 'SELECT * FROM missing' } }, '-rollback'));
    if (want('aborted')) {
      const aborted = await start({ ...input, timings: { ...input.timings, graceMs: 60_000 } }, '-abort');
      await waitFor(async () => (await aborted.query(progressQuery)).phase === 'grace');
      await aborted.executeUpdate(abortUpdate, { args: [{ by: 'recorder', reason: 'replay fixture' }] });
      await save('aborted', aborted);
    }
    if (want('leak-contained')) {
      const rotation = await start({ ...input, timings: { ...input.timings, graceMs: 60_000 } }, '');
      await waitFor(async () => (await rotation.query(progressQuery)).phase === 'grace');
      const report = leakInputFor(input, { where: 'replay fixture', reporter: 'recorder' });
      await save('leak-contained', await h.client.workflow.start('respondToLeak', { taskQueue: h.taskQueue, workflowId: incidentWorkflowId(input.secretId, report.detectedAt), args: [report] }));
    }
  } finally {
    await h.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`record: ${String(err)}\n`);
  process.exitCode = 1;
});
