/**
 * Records the trigger workflow's histories replayed by test/replay-trigger.test.ts: one that
 * started the rotation, one that skipped it because a rotation was running. Run against the
 * local services when a change to workflows/trigger-rotation.ts is meant to be incompatible:
 *
 *   npm run services && eval "$(npm run --silent services -- env | sed 's/^/export /')" \
 *     && node --require tsx/cjs test/histories/record-trigger.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { connectPostgres, createActivities } from '../../activities/index';
import { AwsSecretsManagerStore, createAwsSecretsManagerClient } from '../../activities/stores/aws';
import { progressQuery, skipGraceUpdate } from '../../workflows/messages';
import type { ScheduledRotation, TriggerResult } from '../../workflows/trigger-rotation';
import { newDualAccountSecret, registry } from '../helpers/postgres';
import { REPLAY_CODEC_KEYS } from '../helpers/replay-fixture';
import { startHarness } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

async function main(): Promise<void> {
  process.env.ROTATOR_CODEC_KEYS = REPLAY_CODEC_KEYS;
  const store = new AwsSecretsManagerStore({ name: 'aws', client: createAwsSecretsManagerClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) });
  const h = await startHarness({ prefix: 'record-trigger', activities: createActivities({ stores: registry([store]), connect: connectPostgres }) });
  const trigger = (rotation: ScheduledRotation, name: string) =>
    h.client.workflow.start('triggerRotation', { taskQueue: h.taskQueue, workflowId: `trigger/${rotation.input.secretId}-${name}`, args: [rotation] });
  const save = async (name: string, w: WorkflowHandle, outcome: TriggerResult['outcome']) => {
    const r: TriggerResult = await w.result();
    if (r.outcome !== outcome) throw new Error(`${name}: expected ${outcome}, got ${r.outcome}`);
    writeFileSync(join(__dirname, 'trigger', `${name}.json`), `${historyToJSON(await w.fetchHistory())}\n`);
    process.stdout.write(`saved trigger/${name}.json\n`);
  };
  try {
    const input = await newDualAccountSecret(store, { timings: { graceMs: 60_000 } });
    const rotation: ScheduledRotation = { workflowType: 'rotatePostgresDualAccount', input: { ...input, requestedBy: 'schedule' } };
    await save('started', await trigger(rotation, 'started'), 'started');
    const first = h.client.workflow.getHandle(`rotation/${input.secretId}`);
    await first.result(); // the bootstrap: no grace period
    const running = await h.client.workflow.start('rotatePostgresDualAccount', { taskQueue: h.taskQueue, workflowId: `rotation/${input.secretId}`, args: [input] });
    await waitFor(async () => (await running.query(progressQuery)).phase === 'grace');
    await save('skipped', await trigger(rotation, 'skipped'), 'skipped');
    await running.executeUpdate(skipGraceUpdate, { args: [{}] });
    await running.result();
  } finally {
    await h.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`record-trigger: ${String(err)}\n`);
  process.exitCode = 1;
});
