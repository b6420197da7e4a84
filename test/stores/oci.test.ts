/**
 * The OCI Vault adapter through the real OCI SDK. OCI Vault has no local server, so these
 * tests run against test/fakes/oci-server.ts, a local stand-in that checks what the real
 * service checks: every request's HTTP signature against a registered API key's public half,
 * and the payload shapes (BASE64 content only, stages, etags). It is not OCI; where its
 * behaviour is an assumption about OCI, the fake says so.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../client/files';
import { AccessDeniedError, ConflictError, InvalidValueError, NotFoundError, ThrottledError, UnavailableError } from '../../activities/stores/errors';
import { OciVaultStore, type OciVaultStoreOptions, ociVersionNameFor } from '../../activities/stores/oci';
import type { SecretRef } from '../../activities/stores/types';
import { type FakeOciServer, SERVICE_MESSAGE_SENTINEL, signOciRequest, startFakeOciServer } from '../fakes/oci-server';
import { describeStoreContract, secretValue } from './contract';

const STORE = 'oci-test';
const TENANCY = 'ocid1.tenancy.oc1..faketenancy';
const COMPARTMENT = 'ocid1.compartment.oc1..fakecompartment';
const VAULT = 'ocid1.vault.oc1.fake.fakevault';
const KEY = 'ocid1.key.oc1.fake.fakekey';

/** A fresh API signing key, as `oci setup keys` would make, with OCI's fingerprint (md5 of the DER public key). */
function apiKey(user: string) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const der = createPublicKey(publicKey).export({ type: 'spki', format: 'der' });
  const fingerprint = (createHash('md5').update(der).digest('hex').match(/../g) ?? []).join(':');
  const u = `ocid1.user.oc1..${user}`;
  return { tenancy: TENANCY, user: u, fingerprint, publicKey, privateKey, keyId: `${TENANCY}/${u}/${fingerprint}` };
}
type ApiKey = ReturnType<typeof apiKey>;

const admin = apiKey('admin');
const reader = apiKey('reader');
const throttled = apiKey('throttled');
// The adapter takes the key as the inventory hands it over: read from the environment.
process.env.ROTATOR_TEST_OCI_ADMIN_KEY = admin.privateKey;

let server: FakeOciServer;
beforeAll(async () => {
  server = await startFakeOciServer();
  server.registerPrincipal(admin);
  server.registerPrincipal({ ...reader, readOnly: true });
  server.registerPrincipal({ ...throttled, fault: 429 });
});
afterAll(async () => {
  await server?.close();
});

function storeFor(k: ApiKey, privateKey = k.privateKey, extra: Partial<OciVaultStoreOptions> = {}): OciVaultStore {
  return new OciVaultStore({
    name: STORE,
    auth: { kind: 'key', tenancy: k.tenancy, user: k.user, fingerprint: k.fingerprint, privateKey, region: 'us-ashburn-1' },
    compartmentId: COMPARTMENT,
    vaultId: VAULT,
    keyId: KEY,
    secretsEndpoint: server.url,
    vaultsEndpoint: server.url,
    pollIntervalMs: 5,
    ...extra,
  });
}

let adminStore: OciVaultStore | undefined;
const store = () => (adminStore ??= storeFor(admin, process.env.ROTATOR_TEST_OCI_ADMIN_KEY));
const newRef = (): SecretRef => ({ store: STORE, path: `rotator-test-${randomUUID()}` });

describeStoreContract('OCI Vault (local signature-checking server)', async () => ({
  store: store(),
  newRef,
  readOnlyStore: async () => storeFor(reader),
  throttledStore: async () => storeFor(throttled),
  // a consumer reads the CURRENT stage and knows nothing of staging
  consumerRead: async (ref) => server.currentValue(VAULT, ref.path),
}));

/** Sends a request by hand (node:http, so no header is added or normalised behind our back). */
function send(method: string, url: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function withCurrent(): Promise<{ ref: SecretRef; v1: string; id1: string }> {
  const ref = newRef();
  const v1 = secretValue('v1');
  const id1 = await store().putPending(ref, v1, randomUUID());
  await store().promote(ref, id1);
  return { ref, v1, id1 };
}

const versionsOf = (ref: SecretRef) => server.secretNamed(VAULT, ref.path)?.versions ?? [];

describe('OCI Vault adapter: signatures, payloads and OCI specifics', () => {
  it('the server really checks signatures: a signed request passes, tampered or foreign ones get 401', async () => {
    const url = `${server.url}/20180608/secrets?compartmentId=${COMPARTMENT}&vaultId=${VAULT}`;
    const sign = (o: Partial<Parameters<typeof signOciRequest>[0]> = {}) =>
      signOciRequest({ method: 'GET', url, keyId: admin.keyId, privateKey: admin.privateKey, ...o });

    expect(await send('GET', url, sign())).toBe(200);

    const flipped = sign();
    flipped.authorization = flipped.authorization.replace(/signature="(.)/, (_m, c: string) => `signature="${c === 'A' ? 'B' : 'A'}`);
    expect(await send('GET', url, flipped)).toBe(401);
    expect(await send('GET', url, sign({ privateKey: apiKey('stranger').privateKey }))).toBe(401); // right keyId, wrong key
    expect(await send('GET', url, sign({ keyId: `${TENANCY}/ocid1.user.oc1..nobody/00:11` }))).toBe(401);
    expect(await send('GET', url, sign({ date: new Date(Date.now() - 10 * 60_000) }))).toBe(401);
    expect(await send('GET', `${server.url}/20180608/secrets?compartmentId=other`, sign())).toBe(401); // signed for another target
    const { authorization: _dropped, ...unsigned } = sign();
    expect(await send('GET', url, unsigned)).toBe(401);
  });

  it('an altered body is refused: x-content-sha256 no longer matches what was signed', async () => {
    const { ref } = await withCurrent();
    const id = server.secretNamed(VAULT, ref.path)!.id;
    const url = `${server.url}/20180608/secrets/${id}`;
    const body = (content: string) => JSON.stringify({ secretContent: { contentType: 'BASE64', content, stage: 'PENDING' } });
    const headers = signOciRequest({ method: 'PUT', url, keyId: admin.keyId, privateKey: admin.privateKey, body: body('YWFhYQ==') });
    const before = versionsOf(ref).length;

    expect(await send('PUT', url, headers, body('YmJiYg=='))).toBe(401); // same length, other bytes
    expect(versionsOf(ref)).toHaveLength(before);
    expect(await send('PUT', url, headers, body('YWFhYQ=='))).toBe(200); // the untouched request does pass
    expect(versionsOf(ref)).toHaveLength(before + 1);
  });

  it('content travels as BASE64, never PLAIN, and the server refuses PLAIN', async () => {
    const { ref } = await withCurrent();
    await store().putPending(ref, secretValue('v2'), randomUUID());
    const written = server.seen.filter((r) => r.contentType !== undefined && r.keyId === admin.keyId && r.status === 200);
    expect(written.length).toBeGreaterThan(0);
    expect(new Set(written.map((r) => r.contentType))).toEqual(new Set(['BASE64']));

    const url = `${server.url}/20180608/secrets/${server.secretNamed(VAULT, ref.path)!.id}`;
    const plain = JSON.stringify({ secretContent: { contentType: 'PLAIN', content: 'hunter2', stage: 'PENDING' } });
    const before = versionsOf(ref).length;
    expect(await send('PUT', url, signOciRequest({ method: 'PUT', url, keyId: admin.keyId, privateKey: admin.privateKey, body: plain }), plain)).toBe(400);
    expect(versionsOf(ref)).toHaveLength(before);
  });

  it('401 / 403 / 404 say what to check, in our words, never the service message', async () => {
    const { ref } = await withCurrent();
    const errors: Error[] = [];

    const unknownKey = apiKey('unregistered');
    const e401 = await storeFor(unknownKey).getVersion(ref, 'current').catch((e: Error) => e);
    expect(e401).toBeInstanceOf(AccessDeniedError);
    expect((e401 as Error).message).toMatch(/check the API key/);
    errors.push(e401 as Error);

    const e403 = await storeFor(reader).putPending(ref, secretValue('denied'), randomUUID()).catch((e: Error) => e);
    expect(e403).toBeInstanceOf(AccessDeniedError);
    expect((e403 as Error).message).toContain('"read secret-family" and "use keys" on the compartment');
    errors.push(e403 as Error);

    server.inject({ status: 404 });
    const e404 = await storeFor(admin).describe(ref).catch((e: Error) => e); // a fresh store: its first call is the lookup by name
    expect(e404).toBeInstanceOf(NotFoundError);
    expect((e404 as Error).message).toMatch(/OCIDs and the compartment/);
    errors.push(e404 as Error);

    for (const e of errors) expect(e.message).not.toContain(SERVICE_MESSAGE_SENTINEL);
  });

  it('the SDK makes one attempt per call: 429 and 503 reach the caller typed, unretried', async () => {
    const { ref } = await withCurrent();
    for (const [status, type] of [
      [429, ThrottledError],
      [503, UnavailableError],
    ] as const) {
      const before = server.seen.length;
      server.inject({ status });
      await expect(store().getVersion(ref, 'current')).rejects.toBeInstanceOf(type);
      expect(server.seen.length - before).toBe(1);
    }
  });

  it('a putPending whose answer was lost is found again by its token: same version, no second one', async () => {
    const { ref } = await withCurrent();
    const token = randomUUID();
    const value = secretValue('v2');
    server.inject({ dropNextWriteResponse: true });
    await expect(store().putPending(ref, value, token)).rejects.toBeInstanceOf(UnavailableError);
    expect(versionsOf(ref).filter((v) => v.name === ociVersionNameFor(token))).toHaveLength(1); // it was written

    const restarted = storeFor(admin); // a new worker: nothing cached
    const id = await restarted.putPending(ref, value, token);
    expect(await restarted.putPending(ref, value, token)).toBe(id);
    expect(await restarted.getVersion(ref, 'pending')).toEqual({ versionId: id, value });
    expect(versionsOf(ref).filter((v) => v.name === ociVersionNameFor(token))).toHaveLength(1);
    await expect(restarted.putPending(ref, secretValue('other'), token)).rejects.toBeInstanceOf(ConflictError);
  });

  it('a first write whose create answer was lost finds the secret on retry instead of making another', async () => {
    const ref = newRef();
    const token = randomUUID();
    const value = secretValue('v1');
    server.inject({ dropNextWriteResponse: true });
    await expect(storeFor(admin).putPending(ref, value, token)).rejects.toBeInstanceOf(UnavailableError);
    expect(server.secretNamed(VAULT, ref.path)).toBeDefined(); // it was created
    const id = await storeFor(admin).putPending(ref, value, token);
    expect([...server.secrets.values()].filter((s) => s.secretName === ref.path)).toHaveLength(1);
    expect(await store().getVersion(ref, { versionId: id })).toEqual({ versionId: id, value });
  });

  it('the first write creates the secret with a placeholder CURRENT version; the value stays pending until promoted', async () => {
    const ref = newRef();
    const value = secretValue('first');
    const id = await store().putPending(ref, value, randomUUID());
    expect(server.currentValue(VAULT, ref.path)).not.toBe(value);
    await expect(store().getVersion(ref, 'current')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store().getVersion(ref, 'pending')).toEqual({ versionId: id, value });
    expect((await store().describe(ref)).versions.map((v) => [v.versionId, v.stages])).toEqual([[id, ['pending']]]);

    await store().promote(ref, id);
    expect(server.currentValue(VAULT, ref.path)).toBe(value);
    await expect(store().getVersion(ref, 'previous')).rejects.toBeInstanceOf(NotFoundError); // the placeholder is no value
  });

  it('discardPending deprecates the version and schedules its deletion; current is untouched and rotation goes on', async () => {
    const { ref, v1, id1 } = await withCurrent();
    const id2 = await store().putPending(ref, secretValue('v2'), randomUUID());
    await store().discardPending(ref, id2);
    const v2 = versionsOf(ref).find((v) => v.versionNumber === Number(id2))!;
    expect([...v2.stages]).toEqual(['DEPRECATED']);
    expect(v2.timeOfDeletion!.getTime()).toBeGreaterThan(Date.now() + 24 * 60 * 60_000);
    expect((await store().describe(ref)).versions.filter((v) => v.stages.includes('pending'))).toEqual([]);
    expect(await store().getVersion(ref, 'current')).toEqual({ versionId: id1, value: v1 });

    const v3 = secretValue('v3');
    const id3 = await store().putPending(ref, v3, randomUUID());
    await store().promote(ref, id3);
    expect(await store().getVersion(ref, 'current')).toEqual({ versionId: id3, value: v3 });
    expect(await store().getVersion(ref, 'previous')).toEqual({ versionId: id1, value: v1 });
  });

  it('a promote that races another writer fails with Conflict (If-Match on the etag it checked) instead of interleaving', async () => {
    const { ref, v1, id1 } = await withCurrent();
    const idB = await store().putPending(ref, secretValue('writer-b'), randomUUID());
    const url = `${server.url}/20180608/secrets/${server.secretNamed(VAULT, ref.path)!.id}`;
    const content = Buffer.from(secretValue('writer-c')).toString('base64');
    const other = JSON.stringify({ secretContent: { contentType: 'BASE64', content, stage: 'PENDING' } });
    let otherStatus = 0;
    // writer C stages its version after our promote has checked that B is pending, before it writes
    server.inject({
      beforeNextWrite: async () => {
        otherStatus = await send('PUT', url, signOciRequest({ method: 'PUT', url, keyId: admin.keyId, privateKey: admin.privateKey, body: other }), other);
      },
    });
    const before = server.seen.length;
    await expect(store().promote(ref, idB)).rejects.toBeInstanceOf(ConflictError);
    expect(otherStatus).toBe(200);
    // ours (412, recorded first: it arrived first) and writer C's (200)
    expect(server.seen.slice(before).filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([412, 200]);
    expect(await store().getVersion(ref, 'current')).toEqual({ versionId: id1, value: v1 });
  });

  it("a name outside OCI's character set is refused before any request", async () => {
    const before = server.seen.length;
    await expect(store().putPending({ store: STORE, path: 'apps/payments/db' }, 'x', randomUUID())).rejects.toBeInstanceOf(InvalidValueError);
    expect(server.seen.length).toBe(before);
  });

  it('config-file auth signs with the key file the config names (written 0600 before any byte)', async () => {
    const { ref } = await withCurrent();
    const dir = mkdtempSync(join(tmpdir(), 'rotator-oci-'));
    try {
      const keyFile = join(dir, 'oci_api_key.pem');
      writeFileAtomic(keyFile, admin.privateKey);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const config = join(dir, 'config');
      writeFileAtomic(config, `[rotator]\nuser=${admin.user}\nfingerprint=${admin.fingerprint}\ntenancy=${TENANCY}\nregion=us-ashburn-1\nkey_file=${keyFile}\n`);
      const viaConfig = storeFor(admin, admin.privateKey, { auth: { kind: 'config-file', file: config, profile: 'rotator' } });
      expect((await viaConfig.describe(ref)).exists).toBe(true);

      const noProfile = storeFor(admin, admin.privateKey, { auth: { kind: 'config-file', file: config, profile: 'missing' } });
      const err = await noProfile.describe(ref).catch((e: Error) => e);
      expect(err).toBeInstanceOf(AccessDeniedError);
      expect((err as Error).message).toMatch(/config file and profile/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no write in this file met a secret still UPDATING: the adapter waits for ACTIVE before writing', () => {
    // the fake keeps a secret UPDATING for a while after each write and refuses writes meanwhile (409)
    expect(server.seen.filter((r) => r.status === 409)).toEqual([]);
    expect(server.seen.filter((r) => r.method === 'PUT' && r.status === 200).length).toBeGreaterThan(10);
  });
});
