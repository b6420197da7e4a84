/**
 * The 15-minute leak response on the real dev server, real PostgreSQL, real OpenBao (tokens,
 * file audit device) and moto, with durations in seconds. Notifications go to a local HTTP
 * receiver (the webhook sink) and to an in-memory pino stream (the log sink).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import pino from 'pino';
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonLinesAuditSink } from '../activities/audit';
import { connectPostgres, createActivities, type LeakResponseDeps } from '../activities/index';
import { humanDuration } from '../activities/incident/postmortem';
import { VaultTokenAdmin, kvDataPath } from '../activities/incident/vault-tokens';
import { LogSink } from '../activities/notify/log';
import { WebhookSink } from '../activities/notify/webhook';
import { parseDatabaseSecret, type PgConnect } from '../activities/postgres/activities';
import { scramSha256Verifier } from '../activities/postgres/scram';
import { auditedStore } from '../activities/stores/audit';
import { AwsSecretsManagerStore, createAwsSecretsManagerClient } from '../activities/stores/aws';
import type { SecretStore } from '../activities/stores/types';
import { VaultKvStore } from '../activities/stores/vault';
import { AesGcmCodec } from '../client/codec';
import { incidentWorkflowId } from '../client/leaks';
import { SecretReader } from '../client/secret-reader';
import { progressQuery } from '../workflows/messages';
import type { LeakInput, LeakResult, PostgresRotationInput, RotationProgress, RotationResult } from '../workflows/types';
import { decodedHistoryText, rawHistoryText } from './helpers/history';
import { leakInputFor } from './helpers/leak';
import { adminConfig, adminQuery, newDualAccountSecret, registry, tryLogin } from './helpers/postgres';
import { startHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook';

const VAULT_ADDR = () => process.env.VAULT_ADDR!;
const ROOT = () => process.env.VAULT_TOKEN!;

let h: TemporalHarness;
let aws: SecretStore;
let plainAws: SecretStore;
let vault: SecretStore;
let hook: WebhookReceiver;
const work = mkdtempSync(join(tmpdir(), 'rotator-leak-'));
const postMortemDir = join(work, 'postmortems');
const rotatorAuditLog = join(work, 'audit.jsonl');
let logged = '';
/** Every secret value a test handled: none may appear in a history, a notification or a post-mortem. */
const secretsSeen: string[] = [];
const workflowIds: string[] = [];

function leakDeps(): LeakResponseDeps {
  const logStream = new Writable({ write: (chunk: Buffer, _enc, done) => ((logged += chunk.toString()), done()) });
  return {
    rotations: { getHandle: (id, runId) => h.client.workflow.getHandle(id, runId) },
    vault: (name) =>
      name === 'vault' ? { tokens: new VaultTokenAdmin({ address: VAULT_ADDR(), auth: { kind: 'token', token: ROOT() } }), dataPath: kvDataPath('secret'), auditLog: process.env.VAULT_AUDIT_LOG } : undefined,
    pgLogFile: process.env.PG_LOG_FILE,
    rotatorAuditLog,
    postMortemDir,
    sinks: [new LogSink(pino(logStream)), new WebhookSink({ url: hook.url })],
  };
}

beforeAll(async () => {
  hook = await startWebhookReceiver();
  const sink = new JsonLinesAuditSink(rotatorAuditLog);
  plainAws = new AwsSecretsManagerStore({ name: 'aws', client: createAwsSecretsManagerClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) });
  aws = auditedStore(plainAws, sink);
  vault = auditedStore(new VaultKvStore({ name: 'vault', address: VAULT_ADDR(), auth: { kind: 'token', token: ROOT() } }), sink);
  h = await startHarness({ prefix: 'leak', activities: createActivities({ stores: registry([aws, vault]), connect: connectPostgres, leak: leakDeps() }) });
  secretsSeen.push(adminConfig().password, ROOT());
});
afterAll(async () => {
  await h?.stop();
  await hook?.close();
});

async function rotate(input: PostgresRotationInput, suffix = ''): Promise<RotationResult> {
  const workflowId = `rotation/${input.secretId}${suffix}`;
  workflowIds.push(workflowId);
  return h.client.workflow.execute('rotatePostgresDualAccount', { taskQueue: h.taskQueue, workflowId, args: [input] });
}

async function startLeak(leak: LeakInput, taskQueue = h.taskQueue): Promise<WorkflowHandle> {
  const workflowId = incidentWorkflowId(leak.secretId, leak.detectedAt);
  workflowIds.push(workflowId);
  return h.client.workflow.start('respondToLeak', { taskQueue, workflowId, args: [leak] });
}
const respond = async (leak: LeakInput, taskQueue?: string): Promise<LeakResult> => (await startLeak(leak, taskQueue)).result();

/** Reads a stage of the secret and remembers its password for the scans at the end. */
async function credential(input: PostgresRotationInput, which: 'current' | 'previous') {
  const store = input.ref.store === 'vault' ? vault : aws;
  const s = parseDatabaseSecret((await store.getVersion(input.ref, which)).value, input.ref);
  secretsSeen.push(s.password);
  return s;
}

async function session(database: string, user: string, password: string): Promise<PgClient> {
  const c = new PgClient({ host: adminConfig().host, port: adminConfig().port, database, user, password });
  c.on('error', () => undefined); // a terminated session reports here too
  await c.connect();
  return c;
}

const ended = async (c: PgClient) => c.query('SELECT 1').then(() => false, () => true);
const notificationsOf = (secretId: string) => hook.received.filter((r) => r.body.secretId === secretId).map((r) => r.body);

/**
 * An application as consumers are written: each unit of work reads the credential through a
 * SecretReader (cached for the consumer TTL) and logs in; a refused login, or a session ended
 * by the server, refreshes once.
 */
function application(input: PostgresRotationInput, store: SecretStore) {
  const reader = new SecretReader({ store, ref: input.ref, ttlMs: input.timings.consumerCacheTtlMs });
  const state = { running: true, logins: 0, failures: [] as string[], lastUser: '' };
  const loginAs = async (value: string) => {
    const c = parseDatabaseSecret(value, input.ref);
    const r = await tryLogin(input.postgres.database, c.username, c.password);
    if (r !== 'ok') throw Object.assign(new Error(`${c.username}: ${r}`), { code: r });
    return c.username;
  };
  const running = (async () => {
    while (state.running) {
      try {
        // 28P01: password refused; 57P01: containment ended the session mid-work. Either way the
        // credential in hand is dead: read the store once more and retry
        state.lastUser = await reader.withCredential(loginAs, (err) => ['28P01', '57P01'].includes((err as { code?: string }).code ?? ''));
        state.logins++;
      } catch (err) {
        state.failures.push((err as Error).message);
      }
      await sleep(50); // the application's own pace: a unit of work every 50 ms
    }
  })();
  return { state, stop: async () => ((state.running = false), await running) };
}

async function vaultApi(method: string, path: string, body?: unknown, token = ROOT()): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${VAULT_ADDR()}/v1/${path}`, { method, headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A token of its own with a policy reading `paths`; returns its token (a secret) and accessor. */
async function newToken(name: string, paths: string[]): Promise<{ token: string; accessor: string }> {
  await vaultApi('PUT', `sys/policies/acl/${name}`, { policy: paths.map((p) => `path "${p}" { capabilities = ["read"] }`).join('\n') });
  const out = await vaultApi('POST', 'auth/token/create', { policies: [name], display_name: name, no_parent: true, ttl: '1h' });
  const auth = out.json.auth as { client_token: string; accessor: string };
  secretsSeen.push(auth.client_token);
  return { token: auth.client_token, accessor: auth.accessor };
}
const tokenAlive = async (accessor: string) => (await vaultApi('POST', 'auth/token/lookup-accessor', { accessor })).status === 200;

describe('leak response', () => {
  it('contains a leaked password: both accounts refuse their old passwords, sessions end, the application recovers by itself', async () => {
    const input = await newDualAccountSecret(aws, { timings: { graceMs: 0 } });
    const [a, b] = input.postgres.accounts;
    const { database, group } = input.postgres;
    await rotate(input);
    const leaked = await credential(input, 'current');
    expect(leaked.username).toBe(a);
    // the other account still logs in with an old password, as in a grace period or after a failed lock
    const bOld = randomBytes(18).toString('base64url');
    secretsSeen.push(bOld);
    await adminQuery(`CREATE ROLE ${b} LOGIN PASSWORD '${scramSha256Verifier(bOld)}' IN ROLE ${group}`);
    expect(await tryLogin(database, b, bOld)).toBe('ok');
    const sessionA = await session(database, a, leaked.password);
    const sessionB = await session(database, b, bOld);
    const app = application(input, plainAws); // the application's reads are its own, not the rotator's
    await waitFor(() => app.state.logins > 2, { what: 'the application to run' });

    const r = await respond(leakInputFor(input));

    expect(r, JSON.stringify(r.steps)).toMatchObject({ outcome: 'contained', breached: false });
    expect(r.containmentMs).toBeLessThan(10_000);
    // the workflow reported containment: from here PostgreSQL refuses both old passwords
    expect(await tryLogin(database, a, leaked.password)).toBe('28P01');
    expect(await tryLogin(database, b, bOld)).toBe('28P01');
    const now = await credential(input, 'current');
    expect(now.username).toBe(b);
    expect(now.password).not.toBe(bOld);
    expect(await tryLogin(database, b, now.password)).toBe('ok');
    expect(await ended(sessionA)).toBe(true);
    expect(await ended(sessionB)).toBe(true);
    await waitFor(() => app.state.lastUser === b, { what: 'the application to move to the new account' });
    const loginsOnB = app.state.logins;
    await waitFor(() => app.state.logins > loginsOnB + 2, { what: 'the application to keep working' });
    await app.stop();
    expect(app.state.failures).toEqual([]);

    expect(r.steps.map((s) => s.name)).toEqual([
      'open incident',
      'announce',
      'contain',
      'contain › stop running rotation',
      'contain › pick account for the new password',
      'contain › list live sessions',
      'contain › stage password',
      `contain › set password on ${b}`,
      `contain › end sessions of ${b}`,
      `contain › verify login as ${b}`,
      'contain › promote',
      `contain › lock ${a}`,
      'invalidate',
      'announce containment',
      'blast radius',
      'notify owners and channel',
      'post-mortem',
      'share post-mortem',
    ]);
    expect(r.steps.every((s) => s.status === 'done' && s.endedAt)).toBe(true);
    expect(r.revoked.map((c) => c.identity)).toEqual([b, a]);
    expect(r.revoked[0].sessionsEnded).toBe(1); // sessionB
    expect(r.revoked[1].sessionsEnded).toBeGreaterThanOrEqual(1); // sessionA, and the application's login if one was under way
    expect(r.tokens?.skipped).toBe('store aws is not Vault/OpenBao');
    expect(notificationsOf(input.secretId).map((n) => [n.event, n.severity])).toEqual([['leak.opened', 'warning'], ['leak.contained', 'info'], ['leak.summary', 'info'], ['leak.postmortem', 'info']]);
    expect(notificationsOf(input.secretId)[0]).toMatchObject({ owners: ['payments-oncall'], channel: '#payments-oncall', incidentId: r.incidentId });
    expect(hook.received.find((q) => q.body.secretId === input.secretId)?.headers['idempotency-key']).toBe(`${r.incidentId}/leak.opened`);

    // the post-mortem: a 0600 file, returned as the result, with the containment time against the target
    const pm = r.postMortem!;
    expect(statSync(pm.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(pm.path, 'utf8')).toBe(pm.markdown);
    expect(pm.markdown).toContain(`| containment time (from detection) | ${humanDuration(r.containmentMs!)} |`);
    expect(pm.markdown).toContain('| result | within target');
    expect(pm.markdown).toMatch(new RegExp(`\\| contain › lock ${a} \\| .* \\| done \\| 1 session\\(s\\) ended \\|`));
    expect(pm.markdown).toContain('## Blast radius');
    expect(pm.markdown).toContain('## Next actions');
  });

  it('a rotation in its grace period is cancelled and compensated first, and the secret is still contained', async () => {
    const input = await newDualAccountSecret(aws, { timings: { graceMs: 0 } });
    const [a, b] = input.postgres.accounts;
    await rotate(input, '-seed');
    const rotation = await h.client.workflow.start('rotatePostgresDualAccount', { taskQueue: h.taskQueue, workflowId: `rotation/${input.secretId}`, args: [{ ...input, timings: { ...input.timings, graceMs: 120_000 } }] });
    workflowIds.push(rotation.workflowId);
    await waitFor(async () => (await rotation.query(progressQuery)).phase === 'grace', { what: 'the rotation to reach its grace period' });
    const oldA = await credential(input, 'previous');
    const newB = await credential(input, 'current');
    expect([oldA.username, newB.username]).toEqual([a, b]);

    const r = await respond(leakInputFor(input));

    expect(r.outcome).toBe('contained');
    expect(r.rotation).toEqual({
      workflowId: `rotation/${input.secretId}`,
      runId: rotation.firstExecutionRunId,
      status: 'cancelled',
      compensations: ['promote previous version', `lock ${b} after consumers switch back`],
    });
    expect((await rotation.describe()).status.name).toBe('CANCELLED');
    const steps = ((await rotation.query(progressQuery)) as RotationProgress).steps;
    expect(steps.filter((s) => s.name.startsWith('compensate:')).map((s) => s.status)).toEqual(['done', 'done']);
    // the compensation ended before the containment began
    const compensated = Date.parse(steps.at(-1)!.endedAt!);
    expect(compensated).toBeLessThanOrEqual(Date.parse(r.steps.find((s) => s.name === 'contain › pick account for the new password')!.startedAt));
    // both passwords in circulation during the grace period are dead, the new current one works
    expect(await tryLogin(input.postgres.database, a, oldA.password)).toBe('28P01');
    expect(await tryLogin(input.postgres.database, b, newB.password)).toBe('28P01');
    const now = await credential(input, 'current');
    expect(await tryLogin(input.postgres.database, now.username, now.password)).toBe('ok');
    expect(r.steps.find((s) => s.name === 'contain › stop running rotation')?.detail).toBe(`cancelled after: promote previous version; lock ${b} after consumers switch back`);
  });

  it('revokes the OpenBao tokens that read the secret in the exposure window, and leaves the others and its own alone', async () => {
    const input = await newDualAccountSecret(vault, { timings: { graceMs: 0 } });
    await rotate(input);
    secretsSeen.push((await credential(input, 'current')).password);
    const dataPath = `secret/data/${input.ref.path}`;
    const otherPath = `${input.ref.path}-other`;
    await vaultApi('POST', `secret/data/${otherPath}`, { data: { note: 'not the leaked secret' } });
    const tag = randomBytes(3).toString('hex');
    const early = await newToken(`leak-${tag}-early`, [dataPath]);
    const leaker = await newToken(`leak-${tag}-leaker`, [dataPath]);
    const bystander = await newToken(`leak-${tag}-bystander`, [`secret/data/${otherPath}`]);
    const idle = await newToken(`leak-${tag}-idle`, [dataPath]);

    expect((await vaultApi('GET', dataPath, undefined, early.token)).status).toBe(200); // before the window
    const exposedSince = new Date(Date.now() + 1).toISOString();
    await waitFor(() => Date.now() > Date.parse(exposedSince), { intervalMs: 1 });
    expect((await vaultApi('GET', dataPath, undefined, leaker.token)).status).toBe(200);
    expect((await vaultApi('GET', dataPath, undefined, leaker.token)).status).toBe(200);
    expect((await vaultApi('GET', `secret/data/${otherPath}`, undefined, bystander.token)).status).toBe(200);

    const r = await respond(leakInputFor(input, { exposedSince }));

    expect(r.outcome).toBe('contained');
    expect(r.exposure.from).toBe(exposedSince);
    expect(r.tokens?.revoked).toEqual([expect.objectContaining({ accessor: leaker.accessor, displayName: `token-leak-${tag}-leaker`, source: '127.0.0.1', reads: 2 })]);
    expect(r.tokens?.ownReads).toBeGreaterThan(0); // the rotator read it too while containing
    expect(await tokenAlive(leaker.accessor)).toBe(false);
    expect((await vaultApi('GET', dataPath, undefined, leaker.token)).status).toBe(403);
    for (const t of [early, bystander, idle]) expect(await tokenAlive(t.accessor)).toBe(true);
    expect((await vaultApi('GET', 'auth/token/lookup-self')).status).toBe(200); // the rotator's own (root) token
    // the blast radius names the reader, and the rotator's own reads as its own
    const identities = r.blastRadius!.entries.map((e) => e.identity);
    expect(identities).toContain(`Vault token token-leak-${tag}-leaker (accessor ${leaker.accessor})`);
    expect(identities.some((i) => i.startsWith("rotator's own Vault token"))).toBe(true);
    expect(identities.join()).not.toContain(early.accessor);
    expect(r.postMortem!.markdown).toContain(`| ${leaker.accessor} | token-leak-${tag}-leaker | 127.0.0.1 | 2 |`);
  });

  it("the blast radius names the role's sessions opened during the exposure window, not those from before", async () => {
    const input = await newDualAccountSecret(aws, { timings: { graceMs: 0 } });
    const [a] = input.postgres.accounts;
    const { database } = input.postgres;
    await rotate(input);
    const leaked = await credential(input, 'current');
    const before = await session(database, a, leaked.password);
    const beforePid = (await before.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const exposedSince = new Date(Date.now() + 1).toISOString();
    await waitFor(() => Date.now() > Date.parse(exposedSince), { intervalMs: 1 });
    const during = await session(database, a, leaked.password);
    const duringPid = (await during.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    expect(await tryLogin(database, a, leaked.password)).toBe('ok'); // a short login: only the server log knows it

    const r = await respond(leakInputFor(input, { exposedSince }));

    expect(r.outcome).toBe('contained');
    const rows = r.blastRadius!.entries.filter((e) => e.identity === a);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row.source).toBe('127.0.0.1');
    expect(Date.parse(row.firstSeen)).toBeGreaterThanOrEqual(Date.parse(exposedSince));
    expect(Date.parse(row.lastSeen)).toBeLessThanOrEqual(Date.parse(r.revoked.find((c) => c.identity === a)!.at));
    expect(row.evidence).toContain(`pg_stat_activity: session pid ${duringPid} on ${database}`);
    expect(row.evidence.join()).not.toContain(`pid ${beforePid} `);
    // two logins as the leaked account in the window (the session, the short login); the rotator's verification used the new password
    expect(row.evidence).toContain(`PostgreSQL log: login to ${database} (×2)`);
    expect(r.blastRadius!.sources.some((s) => s.startsWith(`PostgreSQL log ${process.env.PG_LOG_FILE}`))).toBe(true);
    expect(r.postMortem!.markdown).toMatch(new RegExp(`\\| ${a} \\| 127\\.0\\.0\\.1 \\| ${row.firstSeen.replace(/[.]/g, '\\.')} \\|`));
    expect(await ended(during)).toBe(true);
    expect(await ended(before)).toBe(true);
  });

  it('when containment hangs past the target, the escalation fires and the post-mortem records the breach', async () => {
    const input = await newDualAccountSecret(aws, { timings: { graceMs: 0 } });
    await rotate(input);
    secretsSeen.push((await credential(input, 'current')).password);
    // the database is unreachable until the escalation has gone out
    let release!: () => void;
    const escalated = new Promise<void>((resolve) => (release = resolve));
    hook.onNotification((n) => n.secretId === input.secretId && n.event === 'leak.escalated' && release());
    const hanging: PgConnect = async (cfg) => {
      await escalated;
      return connectPostgres(cfg);
    };
    const stalled = await startHarness({ prefix: 'leak-hang', activities: createActivities({ stores: registry([aws, vault]), connect: hanging, leak: leakDeps() }) });
    try {
      const r = await respond(leakInputFor(input, { timings: { slaMs: 2000 } }), stalled.taskQueue);

      expect(r.outcome).toBe('contained');
      expect(r.breached).toBe(true);
      expect(r.containmentMs).toBeGreaterThan(2000);
      expect(Date.parse(r.escalatedAt!)).toBeGreaterThanOrEqual(Date.parse(r.detectedAt) + 2000);
      expect(Date.parse(r.escalatedAt!)).toBeLessThan(Date.parse(r.containedAt!));
      const escalate = r.steps.find((s) => s.name === 'escalate');
      expect(escalate).toMatchObject({ status: 'done', detail: 'sent to log, webhook' });
      const sent = notificationsOf(input.secretId);
      // the escalation is sent by the SLA clock, concurrently with the late containment's own
      // announcement, so those two may arrive in either order
      const events = sent.map((n) => [n.event, n.severity]);
      expect(events[0]).toEqual(['leak.opened', 'warning']);
      expect(events.slice(1, 3)).toEqual(expect.arrayContaining([['leak.escalated', 'critical'], ['leak.contained', 'info']]));
      expect(events.slice(3)).toEqual([['leak.summary', 'info'], ['leak.postmortem', 'info']]);
      expect(sent.find((n) => n.event === 'leak.escalated')?.title).toBe(`ESCALATION: leaked ${input.secretId} not contained`);
      expect(logged).toContain('"level":50'); // the log sink's escalation is an error line
      expect(r.postMortem!.markdown).toContain(`| result | **target BREACHED** by ${humanDuration(r.containmentMs! - 2000)} |`);
      expect(r.postMortem!.markdown).toContain(`| escalated | ${r.escalatedAt} |`);
      expect(r.postMortem!.markdown).toMatch(/- \[ \] Review why containment took .* against the 2\.0 s target\./);
    } finally {
      await stalled.stop();
    }
  });

  it('`rotator leak --wait` prints each step and the containment time; exits 1 when containment fails', async () => {
    const input = await newDualAccountSecret(aws, { timings: { graceMs: 0 } });
    await rotate(input);
    secretsSeen.push((await credential(input, 'current')).password);
    const pg = input.postgres;
    const inventory = join(work, `inventory-${input.secretId}.yaml`);
    const secret = (id: string, admin: string, db: string) => `
  - id: ${id}
    type: postgres-dual-account
    store: aws
    path: ${input.ref.path}
    postgres:
      host: ${pg.host}
      port: env:PGPORT
      database: ${db}
      admin: { store: aws, path: ${admin} }
      accounts: [${pg.accounts.join(', ')}]
      group: ${pg.group}
    grace: 2s
    consumerCacheTtl: 1s
    schedule: { every: 30d }
    owners: [payments-oncall]
    channel: '#payments-oncall'`;
    writeFileSync(inventory, `stores:\n  aws:\n    type: aws\n    region: us-east-1\n    endpoint: env:AWS_ENDPOINT_URL\nsecrets:${secret(input.secretId, pg.admin.path, pg.database)}${secret(`${input.secretId}-broken`, `${pg.admin.path}-missing`, pg.database)}\n`);
    const cli = (id: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [join(__dirname, '..', 'bin', 'rotator.js'), 'leak', id, '--where', 'pasted in a public gist', '--wait'], {
          env: { ...process.env, ROTATOR_INVENTORY: inventory, ROTATOR_TASK_QUEUE: h.taskQueue, ROTATOR_POLL_MS: '100', ROTATOR_ACTOR: 'carol' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.stderr.on('data', (b: Buffer) => (err += b.toString()));
        child.once('exit', (code) => resolve({ code, out, err }));
      });

    const ok = await cli(input.secretId);
    workflowIds.push(...[...ok.out.matchAll(/\(workflow (incident\/\S+)\)/g)].map((m) => m[1]));
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(new RegExp(`^leak response started for ${input.secretId} \\(workflow incident/${input.secretId}/\\d{4}-.*Z\\)$`, 'm'));
    expect(ok.out).toContain('  ✓ contain › stop running rotation');
    expect(ok.out).toContain(`  ✓ contain › lock ${pg.accounts[0]}`);
    expect(ok.out).toMatch(/^contained in \d+\.\ds from detection \(target 15m\): within target$/m);
    expect(ok.out).toMatch(/^post-mortem: .*\.md$/m);
    expect(notificationsOf(input.secretId).find((n) => n.event === 'leak.opened')?.text).toContain('reported by carol');

    const failed = await cli(`${input.secretId}-broken`);
    workflowIds.push(...[...failed.out.matchAll(/\(workflow (incident\/\S+)\)/g)].map((m) => m[1]));
    expect(failed.code, failed.err).toBe(1);
    expect(failed.out).toContain('  ✗ contain › list live sessions');
    expect(failed.out).toMatch(/^containment FAILED at contain › list live sessions: NotFound: /m);
    expect(failed.out).toMatch(/^ {2}! escalated at \S+Z: containment not done in time, or failed$/m);
  });

  it('no secret value in any history (raw or decoded), notification, log line or post-mortem', async () => {
    expect(secretsSeen.length).toBeGreaterThan(10);
    expect(workflowIds.filter((id) => id.startsWith('incident/')).length).toBeGreaterThanOrEqual(7);
    const codec = new AesGcmCodec(h.config.codecKeys);
    const places: Array<[string, string]> = [['notifications', JSON.stringify(hook.received)], ['log sink', logged]];
    for (const f of readdirSync(postMortemDir)) places.push([`post-mortem ${f}`, readFileSync(join(postMortemDir, f), 'utf8')]);
    for (const id of workflowIds) {
      places.push([`raw history of ${id}`, await rawHistoryText(h.client, id)]);
      places.push([`decoded history of ${id}`, await decodedHistoryText(h.client, id, codec)]);
    }
    expect(places.find(([, text]) => text.includes('pasted in a public gist'))).toBeDefined(); // the scan reads what was written
    for (const [where, text] of places) for (const secret of secretsSeen) expect(text.includes(secret), `a secret value in the ${where}`).toBe(false);
  });
});
