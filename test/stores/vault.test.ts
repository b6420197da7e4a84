/**
 * The Vault/OpenBao KV v2 adapter against a real OpenBao dev server. Access denial comes from
 * a real ACL policy, throttling from a real rate-limit quota on a mount of its own, AppRole
 * from the real auth method. The one piece of test plumbing is a pass-through HTTP proxy that
 * lets a second writer change the main path just before promote's write reaches OpenBao, so
 * the check-and-set refusal is OpenBao's own.
 */
import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { AccessDeniedError, ConflictError, InvalidValueError, NotFoundError, UnavailableError } from '../../activities/stores/errors';
import type { SecretRef } from '../../activities/stores/types';
import { VAULT_STAGING_PREFIX, type VaultAuth, VaultKvStore, vaultVersionIdFor, vaultVersionKey } from '../../activities/stores/vault';
import { describeStoreContract, secretValue } from './contract';

const address = process.env.VAULT_ADDR;
const rootToken = process.env.VAULT_TOKEN;
if (!address || !rootToken) {
  throw new Error('VAULT_ADDR / VAULT_TOKEN are not set: start OpenBao with `npm run services` and export `npm run --silent services -- env`');
}

const STORE = 'vault-test';
const PREFIX = `rotator-test/${randomUUID()}`;
const written: SecretRef[] = [];
const newRef = (): SecretRef => {
  const ref = { store: STORE, path: `${PREFIX}/${randomUUID()}` };
  written.push(ref);
  return ref;
};
const storeWith = (auth: VaultAuth, extra: { mount?: string; address?: string; requestTimeoutMs?: number } = {}) =>
  new VaultKvStore({ name: STORE, address: extra.address ?? address, mount: extra.mount, auth, requestTimeoutMs: extra.requestTimeoutMs });
const store = storeWith({ kind: 'token', token: rootToken });

/** A raw OpenBao API call (root token unless told), as an operator or a consumer would make it. */
async function bao(method: string, path: string, body?: unknown, token = rootToken): Promise<{ status: number; json: any }> {
  const r = await fetch(`${address}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': token ?? '', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}
async function baoOk(method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const r = await bao(method, path, body, token);
  if (r.status >= 300) throw new Error(`OpenBao ${method} ${path}: HTTP ${r.status}`);
  return r.json;
}

/** What a consumer reads: the latest KV version at the main path, as the string the rotator wrote. */
async function consumerRead(ref: SecretRef): Promise<string | undefined> {
  const r = await bao('GET', `secret/data/${ref.path}`);
  if (r.status === 404) return undefined;
  const data = r.json.data.data as Record<string, unknown>;
  // A JSON secret is read field by field; any other value is the `value` field.
  return Object.keys(data).length === 1 && typeof data.value === 'string' ? data.value : JSON.stringify(data);
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await Promise.all(
    written.flatMap((ref) => [bao('DELETE', `secret/metadata/${ref.path}`), bao('DELETE', `secret/metadata/${VAULT_STAGING_PREFIX}/${ref.path}`)]),
  );
});

/** A token with a real policy: `policy` is HCL. */
async function tokenWithPolicy(policy: string): Promise<string> {
  const name = `rotator-test-${randomUUID()}`;
  await baoOk('PUT', `sys/policies/acl/${name}`, { policy });
  cleanups.push(() => bao('DELETE', `sys/policies/acl/${name}`));
  const out = await baoOk('POST', 'auth/token/create', { policies: [name], no_default_policy: true, ttl: '15m' });
  return out.auth.client_token as string;
}

let readOnly: Promise<VaultKvStore> | undefined;
const readOnlyStore = () =>
  (readOnly ??= tokenWithPolicy('path "secret/data/*" { capabilities = ["read"] }\npath "secret/metadata/*" { capabilities = ["read"] }').then((token) =>
    storeWith({ kind: 'token', token }),
  ));

/**
 * A KV v2 mount of its own under a real rate-limit quota (1 request a minute, then blocked),
 * so throttling it slows no other test. The quota is spent before the store is handed out.
 */
let throttled: Promise<VaultKvStore> | undefined;
const throttledStore = () =>
  (throttled ??= (async () => {
    const mount = `kv-throttle-${randomUUID()}`;
    const quota = `rotator-test-throttle-${randomUUID()}`;
    await baoOk('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '2' } });
    cleanups.push(() => bao('DELETE', `sys/mounts/${mount}`));
    await baoOk('POST', `sys/quotas/rate-limit/${quota}`, { path: `${mount}/`, rate: 1, interval: '60s', block_interval: '300s' });
    cleanups.push(() => bao('DELETE', `sys/quotas/rate-limit/${quota}`));
    let status = 0;
    for (let i = 0; i < 5 && status !== 429; i++) status = (await bao('GET', `${mount}/metadata/probe`)).status;
    if (status !== 429) throw new Error(`the rate-limit quota on ${mount} never answered 429`);
    return storeWith({ kind: 'token', token: rootToken }, { mount });
  })());

describeStoreContract('Vault/OpenBao KV v2 (real OpenBao)', async () => ({ store, newRef, readOnlyStore, throttledStore, consumerRead }));

/** A pass-through proxy to OpenBao that runs `interpose` once, just before forwarding the first KV write carrying `cas` to `dataPath`. */
async function interposingProxy(dataPath: string, interpose: () => Promise<void>): Promise<{ url: string; close: () => Promise<void>; fired: () => boolean }> {
  let fired = false;
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (!fired && req.method === 'POST' && req.url === `/v1/${dataPath}` && body.includes('"cas"')) {
          fired = true;
          await interpose();
        }
        const headers: Record<string, string> = {};
        for (const h of ['x-vault-token', 'x-vault-namespace', 'content-type']) {
          const v = req.headers[h];
          if (typeof v === 'string') headers[h] = v;
        }
        const r = await fetch(`${address}${req.url}`, { method: req.method, headers, body: body || undefined });
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await r.arrayBuffer()));
      })().catch(() => {
        res.writeHead(502);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, fired: () => fired, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('Vault/OpenBao KV v2 adapter: layout, cas and OpenBao specifics', () => {
  it(`the pending value waits at <mount>/data/${VAULT_STAGING_PREFIX}/<path>; promote writes its fields to the main path and removes it`, async () => {
    const ref = newRef();
    const value = secretValue('v1');
    const token = randomUUID();
    const id = await store.putPending(ref, value, token);
    expect(id).toBe(vaultVersionIdFor(token));
    expect((await bao('GET', `secret/data/${ref.path}`)).status).toBe(404);
    const staged = await baoOk('GET', `secret/data/${VAULT_STAGING_PREFIX}/${ref.path}`);
    expect(staged.data.data).toEqual({ value, versionId: id, token });
    expect((await baoOk('GET', `secret/metadata/${VAULT_STAGING_PREFIX}/${ref.path}`)).data.max_versions).toBe(1);

    await store.promote(ref, id);
    const main = await baoOk('GET', `secret/data/${ref.path}`);
    expect(main.data.data).toEqual(JSON.parse(value)); // consumers read fields, e.g. `bao kv get -field=password`
    expect(main.data.metadata.version).toBe(1);
    expect((await baoOk('GET', `secret/metadata/${ref.path}`)).data.custom_metadata).toEqual({ [vaultVersionKey(1)]: id });
    expect((await bao('GET', `secret/metadata/${VAULT_STAGING_PREFIX}/${ref.path}`)).status).toBe(404); // no staged copy left behind
    expect((await store.describe(ref)).versions).toEqual([{ versionId: id, stages: ['current'], createdAt: main.data.metadata.created_time }]);
  });

  it('a value that is not a JSON object is stored as { value } and read back exactly', async () => {
    const ref = newRef();
    const pem = `-----BEGIN PRIVATE KEY-----\n${randomUUID()}\n-----END PRIVATE KEY-----\n`;
    const wrapperLookalike = JSON.stringify({ value: 'not-a-wrapper' });
    await store.promote(ref, await store.putPending(ref, pem, randomUUID()));
    expect((await baoOk('GET', `secret/data/${ref.path}`)).data.data).toEqual({ value: pem });
    expect((await store.getVersion(ref, 'current')).value).toBe(pem);
    await store.promote(ref, await store.putPending(ref, wrapperLookalike, randomUUID()));
    expect((await store.getVersion(ref, 'current')).value).toBe(wrapperLookalike);
  });

  it('a writer that changes the main path between promote’s read and its write makes promote a Conflict (OpenBao’s cas)', async () => {
    const ref = newRef();
    const v1 = secretValue('v1');
    await store.promote(ref, await store.putPending(ref, v1, randomUUID()));
    const v2 = secretValue('v2');
    const id2 = await store.putPending(ref, v2, randomUUID());
    const intruder = { user: 'someone-else', password: randomUUID() };
    const proxy = await interposingProxy(`secret/data/${ref.path}`, async () => {
      await baoOk('POST', `secret/data/${ref.path}`, { data: intruder }); // KV version 2, written directly
    });
    try {
      const racing = storeWith({ kind: 'token', token: rootToken }, { address: proxy.url });
      await expect(racing.promote(ref, id2)).rejects.toBeInstanceOf(ConflictError);
      expect(proxy.fired()).toBe(true);
    } finally {
      await proxy.close();
    }
    // Nothing of ours was written: the other writer's value is current, ours still pending.
    expect((await baoOk('GET', `secret/metadata/${ref.path}`)).data.current_version).toBe(2);
    expect(JSON.parse((await consumerRead(ref)) ?? 'null')).toEqual(intruder);
    expect(await store.getVersion(ref, 'pending')).toEqual({ versionId: id2, value: v2 });
    // The retry (Conflict is retryable) promotes on top of what it now reads.
    await store.promote(ref, id2);
    expect(await store.getVersion(ref, 'current')).toEqual({ versionId: id2, value: v2 });
    const previous = await store.getVersion(ref, 'previous');
    expect(previous.versionId).toBe('kv-2');
    expect(JSON.parse(previous.value)).toEqual(intruder); // read back in Vault's canonical form (keys sorted)
  });

  it('a promote that stopped after its write, before recording the version id, is finished by its retry without a second KV version', async () => {
    const ref = newRef();
    const v1 = secretValue('v1');
    const id1 = await store.putPending(ref, v1, randomUUID());
    await store.promote(ref, id1);
    const v2 = secretValue('v2');
    const id2 = await store.putPending(ref, v2, randomUUID());
    // What the interrupted attempt had done: the cas write of KV version 2, nothing more.
    await baoOk('POST', `secret/data/${ref.path}`, { data: JSON.parse(v2), options: { cas: 1 } });
    await store.promote(ref, id2);
    expect((await baoOk('GET', `secret/metadata/${ref.path}`)).data.current_version).toBe(2);
    expect(await store.getVersion(ref, 'current')).toEqual({ versionId: id2, value: v2 });
    expect(await store.getVersion(ref, 'previous')).toEqual({ versionId: id1, value: v1 });
    await expect(store.getVersion(ref, 'pending')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rollback writes the previous value as a new KV version, so history stays linear and the rolled-back version is previous', async () => {
    const ref = newRef();
    const v1 = secretValue('v1');
    const id1 = await store.putPending(ref, v1, randomUUID());
    await store.promote(ref, id1);
    const id2 = await store.putPending(ref, secretValue('v2'), randomUUID());
    await store.promote(ref, id2);
    await store.promote(ref, id1);
    await store.promote(ref, id1); // retried rollback: no-op
    const meta = (await baoOk('GET', `secret/metadata/${ref.path}`)).data;
    expect(meta.current_version).toBe(3);
    expect(meta.custom_metadata).toEqual({ [vaultVersionKey(1)]: id1, [vaultVersionKey(2)]: id2, [vaultVersionKey(3)]: id1 });
    expect(await store.getVersion(ref, { versionId: id1 })).toEqual({ versionId: id1, value: v1 });
    const versions = (await store.describe(ref)).versions;
    expect(versions.map((v) => [v.versionId, v.stages])).toEqual([
      [id1, ['current']],
      [id2, ['previous']],
    ]);
    // Only pending or previous can become current: id2 again is fine (it is previous), a version two back is not.
    const id3 = await store.putPending(ref, secretValue('v3'), randomUUID());
    await store.promote(ref, id3);
    await expect(store.promote(ref, id2)).rejects.toBeInstanceOf(ConflictError);
  });

  it('a secret written outside the rotator: its KV versions are named kv-<n> and rotation builds on them', async () => {
    const ref = newRef();
    await baoOk('POST', `secret/data/${ref.path}`, { data: { password: 'first' } });
    await baoOk('POST', `secret/data/${ref.path}`, { data: { password: 'second' } });
    expect(await store.getVersion(ref, 'current')).toEqual({ versionId: 'kv-2', value: '{"password":"second"}' });
    expect(await store.getVersion(ref, 'previous')).toEqual({ versionId: 'kv-1', value: '{"password":"first"}' });
    const v3 = secretValue('v3');
    const id3 = await store.putPending(ref, v3, randomUUID());
    await store.promote(ref, id3);
    expect((await store.getVersion(ref, 'previous')).versionId).toBe('kv-2');
    await store.promote(ref, 'kv-2'); // rollback to the hand-written value
    expect(await consumerRead(ref)).toBe('{"password":"second"}');
  });

  it('putPending retried after its version was promoted returns the same id and stages nothing', async () => {
    const ref = newRef();
    const token = randomUUID();
    const v1 = secretValue('v1');
    const id = await store.putPending(ref, v1, token);
    await store.promote(ref, id);
    expect(await store.putPending(ref, v1, token)).toBe(id);
    await expect(store.getVersion(ref, 'pending')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.putPending(ref, secretValue('other'), token)).rejects.toBeInstanceOf(ConflictError);
  });

  it("errors carry our message, never OpenBao's; unreachable and silent servers are Unavailable; bad paths are InvalidValue", async () => {
    const ref = newRef();
    await store.promote(ref, await store.putPending(ref, secretValue('v1'), randomUUID()));
    const err = await (await readOnlyStore()).putPending(ref, secretValue('denied'), randomUUID()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect((err as Error).message).toMatch(/the token's policy does not allow write on secret\/metadata\/_rotator\/pending\//);
    expect((err as Error).message).not.toContain('permission denied');

    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = storeWith({ kind: 'token', token: rootToken }, { address: `http://127.0.0.1:${closedPort}` });
    await expect(down.getVersion(ref, 'current')).rejects.toBeInstanceOf(UnavailableError);

    const sockets: Socket[] = [];
    const silent = createTcpServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const hung = storeWith({ kind: 'token', token: rootToken }, { address: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, requestTimeoutMs: 300 });
      const started = Date.now();
      await expect(hung.describe(ref)).rejects.toBeInstanceOf(UnavailableError);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }

    await expect(store.getVersion({ store: STORE, path: `${PREFIX}/../escape` }, 'current')).rejects.toBeInstanceOf(InvalidValueError);
    await expect(store.putPending({ store: STORE, path: `${VAULT_STAGING_PREFIX}/x` }, 'v', randomUUID())).rejects.toBeInstanceOf(InvalidValueError);
  });
});

describe('Vault/OpenBao KV v2 adapter: AppRole identity', () => {
  /** A real AppRole whose policy covers this run's paths only; returns its role id and a secret id. */
  async function appRole(role: Record<string, unknown>, secretId: Record<string, unknown> = {}): Promise<{ roleId: string; secretId: string; name: string }> {
    const policy = `rotator-test-approle-${randomUUID()}`;
    await baoOk('PUT', `sys/policies/acl/${policy}`, {
      policy: [
        `path "secret/data/${PREFIX}/*" { capabilities = ["create", "read", "update"] }`,
        `path "secret/metadata/${PREFIX}/*" { capabilities = ["read", "patch"] }`,
        `path "secret/data/${VAULT_STAGING_PREFIX}/${PREFIX}/*" { capabilities = ["create", "read", "update"] }`,
        `path "secret/metadata/${VAULT_STAGING_PREFIX}/${PREFIX}/*" { capabilities = ["create", "update", "read", "delete"] }`,
      ].join('\n'),
    });
    cleanups.push(() => bao('DELETE', `sys/policies/acl/${policy}`));
    const name = `rotator-test-${randomUUID()}`;
    await baoOk('POST', `auth/approle/role/${name}`, { token_policies: [policy], ...role });
    cleanups.push(() => bao('DELETE', `auth/approle/role/${name}`));
    const roleId = (await baoOk('GET', `auth/approle/role/${name}/role-id`)).data.role_id as string;
    const secret = (await baoOk('POST', `auth/approle/role/${name}/secret-id`, secretId)).data.secret_id as string;
    return { roleId, secretId: secret, name };
  }
  // Token lifetimes are real server time, so these waits are the input under test, not a guess.
  const elapse = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('logs in with AppRole and works within its policy, and only there', async () => {
    const { roleId, secretId } = await appRole({ token_ttl: '10m' });
    const s = storeWith({ kind: 'approle', roleId, secretId });
    const ref = newRef();
    const v1 = secretValue('v1');
    const id1 = await s.putPending(ref, v1, randomUUID());
    await s.promote(ref, id1);
    const id2 = await s.putPending(ref, secretValue('v2'), randomUUID());
    await s.discardPending(ref, id2);
    expect(await s.getVersion(ref, 'current')).toEqual({ versionId: id1, value: v1 });
    expect((await s.describe(ref)).versions.map((v) => v.stages)).toEqual([['current']]);
    await expect(s.getVersion({ store: STORE, path: `elsewhere/${randomUUID()}` }, 'current')).rejects.toBeInstanceOf(AccessDeniedError);
  });

  it('a wrong secret id is AccessDenied', async () => {
    const { roleId } = await appRole({ token_ttl: '10m' });
    const s = storeWith({ kind: 'approle', roleId, secretId: randomUUID() });
    await expect(s.describe(newRef())).rejects.toBeInstanceOf(AccessDeniedError);
  });

  it('renews its token once 2/3 of the TTL has passed (a second login would be refused: the secret id is single-use)', async () => {
    const { roleId, secretId } = await appRole({ token_ttl: '3s', token_max_ttl: '1m' }, { num_uses: 1 });
    const s = storeWith({ kind: 'approle', roleId, secretId });
    const ref = newRef();
    await s.describe(ref); // logs in: the secret id is spent
    await elapse(2_400); // past 2/3 of 3 s: renew-self
    await s.describe(ref);
    await elapse(2_400); // the first token's TTL has long ended; only the renewed token works
    await s.describe(ref);
    await expect(s.putPending(ref, secretValue('v1'), randomUUID())).resolves.toMatch(/^[0-9a-f]{64}$/);
  });

  it('logs in again when its token cannot be renewed (batch token)', async () => {
    const { roleId, secretId } = await appRole({ token_type: 'batch', token_ttl: '2s', token_max_ttl: '2s' });
    const s = storeWith({ kind: 'approle', roleId, secretId });
    const ref = newRef();
    await s.describe(ref);
    await elapse(2_500); // the batch token has expired
    await expect(s.describe(ref)).resolves.toEqual({ ref, exists: false, versions: [] });
  });
});
