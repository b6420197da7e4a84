/**
 * The dual-account rotation on the real dev server, real PostgreSQL and a real store (moto
 * here; the same main path runs against OpenBao in postgres-rotation-vault.test.ts).
 */
import { readFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, createActivities } from '../activities/index';
import { parseDatabaseSecret } from '../activities/postgres/activities';
import { AwsSecretsManagerStore, createAwsSecretsManagerClient } from '../activities/stores/aws';
import { VaultKvStore } from '../activities/stores/vault';
import type { SecretStore } from '../activities/stores/types';
import { setTimeout as sleep } from 'node:timers/promises';
import { AesGcmCodec } from '../client/codec';
import { AlreadyRunningError, startRotation } from '../client/rotations';
import { SecretReader } from '../client/secret-reader';
import { abortUpdate, approveUpdate, extendGraceUpdate, progressQuery, skipGraceUpdate } from '../workflows/messages';
import type { PostgresRotationInput, RotationProgress, RotationResult } from '../workflows/types';
import { decodedHistoryText, rawHistoryText } from './helpers/history';
import { secretsInLogs } from './helpers/log-scan';
import { adminQuery, newDualAccountSecret, registry, tryLogin } from './helpers/postgres';
import { startHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

let h: TemporalHarness;
let store: SecretStore;
let vault: SecretStore;
const passwordsSeen: string[] = [];
const workflowIds: string[] = [];

beforeAll(async () => {
  store = new AwsSecretsManagerStore({ name: 'aws', client: createAwsSecretsManagerClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) });
  vault = new VaultKvStore({ name: 'vault', address: process.env.VAULT_ADDR!, auth: { kind: 'token', token: process.env.VAULT_TOKEN! } });
  h = await startHarness({ prefix: 'pg-rotation', activities: createActivities({ stores: registry([store, vault]), connect: connectPostgres }) });
});
afterAll(async () => h?.stop());

async function start(input: PostgresRotationInput): Promise<WorkflowHandle> {
  const workflowId = `rotation/${input.secretId}`;
  workflowIds.push(workflowId);
  return h.client.workflow.start('rotatePostgresDualAccount', { taskQueue: h.taskQueue, workflowId, args: [input] });
}
const rotate = async (input: PostgresRotationInput): Promise<RotationResult> => (await start(input)).result();
const progress = (w: WorkflowHandle): Promise<RotationProgress> => w.query(progressQuery);

/** Reads a stage and remembers its password for the secret scans at the end. */
async function credential(input: PostgresRotationInput, which: 'current' | 'previous') {
  const from = input.ref.store === vault.name ? vault : store;
  const s = parseDatabaseSecret((await from.getVersion(input.ref, which)).value, input.ref);
  passwordsSeen.push(s.password);
  return s;
}

describe.each([
  ['AWS Secrets Manager (moto)', () => store],
  ['Vault KV v2 (OpenBao)', () => vault],
])('the main path with %s', (_name, storeOf) => {
  it('bootstraps a secret with no current version, then swaps accounts and kills the old password', async () => {
    const input = await newDualAccountSecret(storeOf(), { timings: { graceMs: 500 } });
    const first = await rotate(input);
    expect(first.outcome).toBe('rotated');
    expect(first.activeAccount).toBe(input.postgres.accounts[0]);
    const c1 = await credential(input, 'current');
    expect(c1.username).toBe(input.postgres.accounts[0]);
    expect(await tryLogin(input.postgres.database, c1.username, c1.password)).toBe('ok');

    const second = await rotate(input);
    expect(second.outcome).toBe('rotated');
    expect(second.steps.map((s) => s.name)).toEqual([
      'pick inactive account',
      'stage password',
      `set password on ${input.postgres.accounts[1]}`,
      `verify login as ${input.postgres.accounts[1]}`,
      'promote',
      'grace period',
      `lock ${input.postgres.accounts[0]}`,
    ]);
    const c2 = await credential(input, 'current');
    expect(c2.username).toBe(input.postgres.accounts[1]);
    expect(await tryLogin(input.postgres.database, c2.username, c2.password)).toBe('ok');
    // the previous credential is dead: its password was replaced by one stored nowhere
    expect((await credential(input, 'previous')).password).toBe(c1.password);
    expect(await tryLogin(input.postgres.database, c1.username, c1.password)).toBe('28P01');
  });
});

describe('dual-account rotation', () => {

  it('zero downtime: a consumer logging in every 50 ms through rotation and grace never fails, and ends on the new account', async () => {
    const input = await newDualAccountSecret(store, { timings: { graceMs: 0 } });
    await rotate(input);
    const reader = new SecretReader({ store, ref: input.ref, ttlMs: input.timings.consumerCacheTtlMs });
    const failures: string[] = [];
    let logins = 0;
    let lastUser = '';
    let running = true;
    const consumer = (async () => {
      while (running) {
        const cred = parseDatabaseSecret((await reader.get()).value, input.ref);
        const r = await tryLogin(input.postgres.database, cred.username, cred.password);
        if (r === 'ok') logins++;
        else failures.push(`${cred.username}: ${r}`);
        lastUser = cred.username;
        await sleep(50); // the consumer's own pace: a new connection every 50 ms
      }
    })();
    const result = await rotate({ ...input, timings: { ...input.timings, graceMs: 2000 } });
    await waitFor(() => lastUser === result.activeAccount, { what: 'the consumer to reach the new account' });
    running = false;
    await consumer;
    expect(result.outcome).toBe('rotated');
    expect(failures).toEqual([]);
    expect(logins).toBeGreaterThan(20);
    expect(lastUser).toBe(input.postgres.accounts[1]);
  });

  it('a second start of the same secret is refused while one runs; join returns the running one', async () => {
    const seed = await newDualAccountSecret(store, { timings: { graceMs: 0 } });
    await rotate(seed);
    const input = { ...seed, timings: { ...seed.timings, graceMs: 60_000 } };
    const plan = { workflowType: 'rotatePostgresDualAccount' as const, input };
    const first = await startRotation(h.client, h.taskQueue, plan);
    workflowIds.push(first.workflowId);
    const refused = startRotation(h.client, h.taskQueue, plan);
    await expect(refused).rejects.toBeInstanceOf(AlreadyRunningError);
    await expect(refused).rejects.toThrow(`a rotation of ${input.secretId} is already running (workflow rotation/${input.secretId})`);
    const joined = await startRotation(h.client, h.taskQueue, plan, { join: true });
    expect(joined.firstExecutionRunId).toBe(first.firstExecutionRunId);
    await waitFor(async () => (await progress(first)).phase === 'grace');
    await first.executeUpdate(skipGraceUpdate, { args: [{}] });
    expect(((await joined.result()) as RotationResult).outcome).toBe('rotated');
  });

  it('a failing verification rolls back: current is unchanged and still logs in', async () => {
    const input = await newDualAccountSecret(store, { timings: { graceMs: 0 } });
    await rotate(input);
    const before = await credential(input, 'current');
    const broken = { ...input, postgres: { ...input.postgres, check: 'SELECT * FROM no_such_table' } };
    const r = await rotate(broken);
    expect(r.outcome).toBe('rolled-back');
    expect(r.failedStep).toBe(`verify login as ${input.postgres.accounts[1]}`);
    expect(r.reason).toBe(`VerificationFailed: the check query failed for ${input.postgres.accounts[1]}`);
    const after = await store.getVersion(input.ref, 'current');
    expect(parseDatabaseSecret(after.value, input.ref)).toEqual(before);
    expect(await tryLogin(input.postgres.database, before.username, before.password)).toBe('ok');
    await expect(store.getVersion(input.ref, 'pending')).rejects.toThrow();
  });

  it('abort during grace rolls back; the old credential still works', async () => {
    const input = await newDualAccountSecret(store, { timings: { graceMs: 0 } });
    await rotate(input);
    const old = await credential(input, 'current');
    const w = await start({ ...input, timings: { ...input.timings, graceMs: 60_000 } });
    await waitFor(async () => (await progress(w)).phase === 'grace');
    await w.executeUpdate(abortUpdate, { args: [{ by: 'alice', reason: 'test' }] });
    const r: RotationResult = await w.result();
    expect(r, JSON.stringify(r)).toMatchObject({ outcome: 'rolled-back', reason: 'aborted by alice: test' });
    expect((await credential(input, 'current')).username).toBe(old.username);
    expect(await tryLogin(input.postgres.database, old.username, old.password)).toBe('ok');
    // the abandoned new account is locked once consumers had time to switch back
    const abandoned = await credential(input, 'previous');
    expect(await tryLogin(input.postgres.database, abandoned.username, abandoned.password)).toBe('28P01');
  });

  it('skipGrace ends the grace period at once; extendGrace lengthens it; both refused outside grace', async () => {
    const input = await newDualAccountSecret(store, { timings: { graceMs: 0 } });
    await rotate(input);
    const w = await start({ ...input, timings: { ...input.timings, graceMs: 30_000 } });
    await waitFor(async () => (await progress(w)).phase === 'grace');
    const p1 = await progress(w);
    await w.executeUpdate(extendGraceUpdate, { args: [{ ms: 60_000 }] });
    const p2 = await progress(w);
    expect(Date.parse(p2.graceEndsAt!) - Date.parse(p1.graceEndsAt!)).toBe(60_000);
    expect(p2.graceRemainingMs).toBeGreaterThan(60_000);
    await w.executeUpdate(skipGraceUpdate, { args: [{}] });
    const r: RotationResult = await w.result();
    expect(r.outcome).toBe('rotated');
    expect(await refusal(w.executeUpdate(skipGraceUpdate, { args: [{}] }))).toMatch(/workflow execution already completed/i);
  });

  it('with an approval gate nothing is promoted until approve, and the requester cannot approve', async () => {
    const input = await newDualAccountSecret(store, { timings: { graceMs: 0, approvalTimeoutMs: 60_000 } });
    await rotate(input);
    const before = await store.getVersion(input.ref, 'current');
    const w = await start({ ...input, approval: 'before-promote', requestedBy: 'alice' });
    await waitFor(async () => (await progress(w)).phase === 'awaiting-approval');
    expect((await progress(w)).awaitingApproval?.requestedBy).toBe('alice');
    expect((await store.getVersion(input.ref, 'current')).versionId).toBe(before.versionId);
    expect(await refusal(w.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] }))).toBe('alice started this rotation and cannot also approve it');
    await w.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
    const r: RotationResult = await w.result();
    expect(r.outcome).toBe('rotated');
    expect((await store.getVersion(input.ref, 'current')).versionId).not.toBe(before.versionId);
  });

  it('without approval before the timeout, the rotation rolls back', async () => {
    const input = await newDualAccountSecret(store, { timings: { graceMs: 0 } });
    await rotate(input);
    const before = await store.getVersion(input.ref, 'current');
    const r = await rotate({ ...input, approval: 'before-promote', timings: { ...input.timings, approvalTimeoutMs: 1500 } });
    expect(r.outcome).toBe('rolled-back');
    expect(r.reason).toBe('approval timed out');
    expect((await store.getVersion(input.ref, 'current')).versionId).toBe(before.versionId);
  });

  it('privileges survive the swap: the group owns what either account creates', async () => {
    const input = await newDualAccountSecret(store, { timings: { graceMs: 0 } });
    const { database } = input.postgres;
    await rotate(input);
    const a = await credential(input, 'current');
    await asUser(database, a, 'CREATE TABLE made_by_a (n int); INSERT INTO made_by_a VALUES (1)');
    const w = await start({ ...input, timings: { ...input.timings, graceMs: 60_000 } });
    await waitFor(async () => (await progress(w)).phase === 'grace');
    const b = await credential(input, 'current');
    expect(b.username).not.toBe(a.username);
    // the new account reads and writes what the old one made
    await asUser(database, b, 'INSERT INTO made_by_a VALUES (2); CREATE TABLE made_by_b (n int)');
    // the old account, still valid in grace, uses what the new one made
    await asUser(database, a, 'INSERT INTO made_by_b VALUES (3); SELECT count(*) FROM made_by_a');
    const owners = await adminQuery(`SELECT tableowner FROM pg_tables WHERE tablename IN ('made_by_a','made_by_b')`, [], database);
    expect(owners.rows.map((r) => r.tableowner)).toEqual([input.postgres.group, input.postgres.group]);
    await w.executeUpdate(skipGraceUpdate, { args: [{}] });
    expect(((await w.result()) as RotationResult).outcome).toBe('rotated');
  });

  it('leaves no password in any workflow history (raw or decoded) nor in the PostgreSQL log', async () => {
    expect(passwordsSeen.length).toBeGreaterThan(5);
    const codec = new AesGcmCodec(h.config.codecKeys);
    for (const id of workflowIds) {
      const raw = await rawHistoryText(h.client, id);
      const decoded = await decodedHistoryText(h.client, id, codec);
      for (const pw of passwordsSeen) {
        expect(raw.includes(pw), `password in raw history of ${id}`).toBe(false);
        expect(decoded.includes(pw), `password in decoded history of ${id}`).toBe(false);
      }
    }
    const pgLog = readFileSync(process.env.PG_LOG_FILE!, 'utf8');
    expect(pgLog).toMatch(/ALTER ROLE .* PASSWORD/); // log_statement = 'ddl' does log the statements…
    for (const pw of passwordsSeen) expect(pgLog.includes(pw)).toBe(false); // …which carry verifiers only
    expect(secretsInLogs(passwordsSeen)).toEqual([]); // nor any service's log, nor this test's output
  });
});

/** The message an update was refused with (the validator's, carried as the failure's cause). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { cause?: Error }).cause?.message ?? (err as Error).message;
  }
  throw new Error('the update was accepted');
}

async function asUser(database: string, cred: { username: string; password: string }, sql: string): Promise<void> {
  const c = await connectPostgres({ host: process.env.PGHOST!, port: Number(process.env.PGPORT), database, user: cred.username, password: cred.password });
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

