/**
 * The AWS Secrets Manager adapter against moto's server (real HTTP, real SDK). Access denied
 * and throttling come from a local fault server: moto enforces no IAM policy and never
 * throttles (see test/fakes/aws-fault-proxy.ts).
 */
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsSecretsManagerStore, awsVersionIdFor, createAwsSecretsManagerClient } from '../../activities/stores/aws';
import { ConflictError, NotFoundError, ThrottledError, UnavailableError } from '../../activities/stores/errors';
import type { SecretRef } from '../../activities/stores/types';
import { type AwsFaultProxy, startAwsFaultProxy } from '../fakes/aws-fault-proxy';
import { describeStoreContract, secretValue } from './contract';

const endpoint = process.env.AWS_ENDPOINT_URL;
if (!endpoint) throw new Error('AWS_ENDPOINT_URL is not set: start moto with `npm run services` and export `npm run --silent services -- env`');

const STORE = 'aws-test';
// moto accepts any credentials; these are its documented placeholders.
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const clientAt = (url: string) => createAwsSecretsManagerClient({ region: 'us-east-1', endpoint: url, credentials });
const raw: SecretsManagerClient = clientAt(endpoint);
const store = new AwsSecretsManagerStore({ name: STORE, client: raw });
const newRef = (): SecretRef => ({ store: STORE, path: `rotator-test/${randomUUID()}` });

let readOnly: AwsFaultProxy;
let throttled: AwsFaultProxy;
beforeAll(async () => {
  readOnly = await startAwsFaultProxy({ fault: 'AccessDeniedException', upstream: endpoint, passThrough: ['GetSecretValue', 'DescribeSecret', 'ListSecretVersionIds'] });
  throttled = await startAwsFaultProxy({ fault: 'ThrottlingException' });
});
afterAll(async () => {
  await Promise.all([readOnly?.close(), throttled?.close()]);
});

/** What an AWS consumer does: read AWSCURRENT by name, knowing nothing of staging. */
async function consumerRead(ref: SecretRef): Promise<string | undefined> {
  try {
    return (await raw.send(new GetSecretValueCommand({ SecretId: ref.path, VersionStage: 'AWSCURRENT' }))).SecretString;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

describeStoreContract('AWS Secrets Manager (moto)', async () => ({
  store,
  newRef,
  readOnlyStore: async () => new AwsSecretsManagerStore({ name: STORE, client: clientAt(readOnly.endpoint) }),
  throttledStore: async () => new AwsSecretsManagerStore({ name: STORE, client: clientAt(throttled.endpoint) }),
  consumerRead,
}));

describe('AWS Secrets Manager adapter: where moto and AWS differ, and AWS specifics', () => {
  it('same token, other content is Conflict even though moto itself would overwrite the pending version', async () => {
    // moto's own behaviour, shown on a scratch secret: the second put silently replaces the value.
    const scratch = newRef();
    const v1 = await store.putPending(scratch, secretValue('v1'), randomUUID());
    await store.promote(scratch, v1);
    const token = randomUUID();
    await raw.send(new PutSecretValueCommand({ SecretId: scratch.path, SecretString: 'first', ClientRequestToken: token, VersionStages: ['AWSPENDING'] }));
    await raw.send(new PutSecretValueCommand({ SecretId: scratch.path, SecretString: 'second', ClientRequestToken: token, VersionStages: ['AWSPENDING'] }));
    expect((await raw.send(new GetSecretValueCommand({ SecretId: scratch.path, VersionId: token }))).SecretString).toBe('second');

    // The adapter refuses, and the staged value stays what it was.
    const ref = newRef();
    await store.promote(ref, await store.putPending(ref, secretValue('v1'), randomUUID()));
    const staged = secretValue('v2');
    const id = await store.putPending(ref, staged, token);
    await expect(store.putPending(ref, secretValue('other'), token)).rejects.toBeInstanceOf(ConflictError);
    expect(await store.getVersion(ref, 'pending')).toEqual({ versionId: id, value: staged });
  });

  it('a token that does not fit AWS (32–64 chars) becomes a deterministic sha256 version id', async () => {
    const ref = newRef();
    const token = `wf/rotation/payments-db/run-1/step-stage`;
    const value = secretValue('v1');
    const id = await store.putPending(ref, value, token);
    expect(id).toBe(awsVersionIdFor(token));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.putPending(ref, value, token)).toBe(id);
    expect(awsVersionIdFor('short')).toMatch(/^[0-9a-f]{64}$/);
    const uuid = randomUUID();
    expect(awsVersionIdFor(uuid)).toBe(uuid);
  });

  it("a new secret's first version is current at once (AWS labels a first version AWSCURRENT); promote clears its AWSPENDING", async () => {
    const ref = newRef();
    const value = secretValue('bootstrap');
    const id = await store.putPending(ref, value, randomUUID());
    expect((await store.describe(ref)).versions).toEqual([{ versionId: id, stages: expect.arrayContaining(['pending', 'current']) }]);
    expect(await consumerRead(ref)).toBe(value);
    await store.promote(ref, id);
    expect((await store.describe(ref)).versions).toEqual([{ versionId: id, stages: ['current'] }]);
  });

  it('promote: an unknown version is NotFound; a discarded one is Conflict', async () => {
    const ref = newRef();
    await store.promote(ref, await store.putPending(ref, secretValue('v1'), randomUUID()));
    await expect(store.promote(ref, 'no-such-version-0000000000000000000')).rejects.toBeInstanceOf(NotFoundError);
    const id2 = await store.putPending(ref, secretValue('v2'), randomUUID());
    await store.discardPending(ref, id2);
    await expect(store.promote(ref, id2)).rejects.toBeInstanceOf(ConflictError);
  });

  it('discardPending on a secret that was never written is a no-op', async () => {
    await expect(store.discardPending(newRef(), randomUUID())).resolves.toBeUndefined();
  });

  it("errors carry our message, never AWS's; an unreachable endpoint is Unavailable", async () => {
    const slow = new AwsSecretsManagerStore({ name: STORE, client: clientAt(throttled.endpoint) });
    const err = await slow.describe(newRef()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledError);
    expect((err as Error).message).not.toContain('Rate exceeded');
    expect((err as Error).message).toContain('ThrottlingException');

    const closed = await startAwsFaultProxy({ fault: 'ThrottlingException' });
    await closed.close(); // its port now refuses connections
    const down = new AwsSecretsManagerStore({ name: STORE, client: clientAt(closed.endpoint) });
    await expect(down.getVersion(newRef(), 'current')).rejects.toBeInstanceOf(UnavailableError);
  });
});
