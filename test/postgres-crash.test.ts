/**
 * Crash anywhere: for each step, a real worker process is killed with SIGKILL right after that
 * step's activity did its work (before the server heard of it); a new worker process takes
 * over and the rotation finishes. Afterwards the current credential logs in, the previous one
 * is dead, and exactly one new store version exists.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, createActivities } from '../activities/index';
import { parseDatabaseSecret } from '../activities/postgres/activities';
import { AwsSecretsManagerStore, createAwsSecretsManagerClient } from '../activities/stores/aws';
import type { RotationResult } from '../workflows/types';
import { newDualAccountSecret, registry, tryLogin } from './helpers/postgres';
import { startHarness, type TemporalHarness } from './helpers/temporal';

const sm = createAwsSecretsManagerClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const store = new AwsSecretsManagerStore({ name: 'aws', client: sm });
let h: TemporalHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startHarness({ prefix: 'pg-crash-seed', activities: createActivities({ stores: registry([store]), connect: connectPostgres }) });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await h?.stop();
});

function worker(taskQueue: string, crashAfter?: string, marker?: string): ChildProcess {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'helpers', 'crash-worker.ts')], {
    env: { ...process.env, TASK_QUEUE: taskQueue, CRASH_AFTER: crashAfter ?? '', CRASH_MARKER: marker ?? '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

const exited = (c: ChildProcess) => new Promise<NodeJS.Signals | number | null>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(c.signalCode ?? c.exitCode) : c.once('exit', (code, sig) => resolve(sig ?? code))));

async function versionCount(secretId: string): Promise<number> {
  const r = await sm.send(new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }));
  return r.Versions?.length ?? 0;
}

const STEPS = ['pickInactiveAccount', 'stagePassword', 'setPassword', 'verifyLogin', 'promote', 'countSessions', 'lockAccount'];

describe('crash anywhere', () => {
  it.each(STEPS)('killed right after %s, a new worker finishes the rotation', async (step) => {
    const input = await newDualAccountSecret(store, { timings: { graceMs: 1500, drainPollMs: 500, activityTimeoutMs: 3000 } });
    const seeded: RotationResult = await h.client.workflow.execute('rotatePostgresDualAccount', { taskQueue: h.taskQueue, workflowId: `rotation/${input.secretId}-seed`, args: [input] });
    expect(seeded.outcome).toBe('rotated');
    const old = parseDatabaseSecret((await store.getVersion(input.ref, 'current')).value, input.ref);
    const before = await versionCount(input.ref.path);

    const taskQueue = `pg-crash-${randomUUID()}`;
    const marker = join(mkdtempSync(join(tmpdir(), 'rotator-crash-')), 'crashed');
    const first = worker(taskQueue, step, marker);
    const handle = await h.client.workflow.start('rotatePostgresDualAccount', { taskQueue, workflowId: `rotation/${input.secretId}`, args: [input] });
    expect(await exited(first)).toBe('SIGKILL');
    expect(existsSync(marker)).toBe(true);

    const second = worker(taskQueue);
    const result: RotationResult = await handle.result();
    second.kill('SIGTERM');
    await exited(second);

    expect(result.outcome).toBe('rotated');
    const now = parseDatabaseSecret((await store.getVersion(input.ref, 'current')).value, input.ref);
    expect(now.username).not.toBe(old.username);
    expect(await tryLogin(input.postgres.database, now.username, now.password)).toBe('ok');
    expect(await tryLogin(input.postgres.database, old.username, old.password)).toBe('28P01');
    expect(await versionCount(input.ref.path)).toBe(before + 1);
  });
});
