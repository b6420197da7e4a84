/**
 * The consumer-side reader against a real store (the AWS adapter on moto). Store calls are
 * counted through a wrapper; time is an injected clock, so no test sleeps.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsSecretsManagerStore, createAwsSecretsManagerClient } from '../activities/stores/aws';
import type { SecretRef, SecretStore } from '../activities/stores/types';
import { SecretReader } from '../client/secret-reader';
import { secretValue } from './stores/contract';

const endpoint = process.env.AWS_ENDPOINT_URL;
if (!endpoint) throw new Error('AWS_ENDPOINT_URL is not set: start moto with `npm run services` and export `npm run --silent services -- env`');

const store = new AwsSecretsManagerStore({
  name: 'aws-test',
  client: createAwsSecretsManagerClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }),
});

class AuthFailure extends Error {}
const isAuthFailure = (err: unknown) => err instanceof AuthFailure;

/** A secret with v1 current, a reader over it with a 1 s TTL and a hand-driven clock, and a count of store reads. */
async function setup() {
  const ref: SecretRef = { store: 'aws-test', path: `rotator-test/${randomUUID()}` };
  const v1 = secretValue('v1');
  const id1 = await store.putPending(ref, v1, randomUUID());
  await store.promote(ref, id1);
  const reads: string[] = [];
  const counting: Pick<SecretStore, 'getVersion'> = {
    getVersion: (r, which) => {
      reads.push(typeof which === 'string' ? which : which.versionId);
      return store.getVersion(r, which);
    },
  };
  const clock = { t: 1_000_000 };
  const reader = new SecretReader({ store: counting, ref, ttlMs: 1000, now: () => clock.t });
  /** Rotates to a new value, as a rotation's putPending + promote would. */
  const rotate = async () => {
    const v2 = secretValue('v2');
    const id2 = await store.putPending(ref, v2, randomUUID());
    await store.promote(ref, id2);
    return { v2, id2 };
  };
  return { ref, v1, id1, reads, clock, reader, rotate };
}

afterEach(() => vi.restoreAllMocks());

describe('SecretReader (AWS Secrets Manager on moto)', () => {
  it('serves the cached value within the TTL and reads the store once', async () => {
    const { v1, id1, reads, clock, reader } = await setup();
    expect(await reader.get()).toEqual({ versionId: id1, value: v1 });
    clock.t += 999;
    expect(await reader.get()).toEqual({ versionId: id1, value: v1 });
    expect(reads).toEqual(['current']);
  });

  it('concurrent first reads share one store call', async () => {
    const { v1, reads, reader } = await setup();
    const got = await Promise.all([reader.get(), reader.get(), reader.get()]);
    expect(got.map((g) => g.value)).toEqual([v1, v1, v1]);
    expect(reads).toHaveLength(1);
  });

  it('reads again once the TTL has passed and sees the promoted version', async () => {
    const { v1, reads, clock, reader, rotate } = await setup();
    await reader.get();
    const { v2, id2 } = await rotate();
    clock.t += 999;
    expect((await reader.get()).value).toBe(v1); // within TTL the old value is expected: grace >= TTL covers it
    clock.t += 1;
    expect(await reader.get()).toEqual({ versionId: id2, value: v2 });
    expect(reads).toHaveLength(2);
  });

  it('withCredential: an auth failure refreshes once and retries with the newly promoted value', async () => {
    const { v1, reads, reader, rotate } = await setup();
    await reader.get();
    const { v2, id2 } = await rotate();
    const tried: string[] = [];
    const login = async (value: string) => {
      tried.push(value);
      if (value !== v2) throw new AuthFailure('password authentication failed');
      return 'connected';
    };
    expect(await reader.withCredential(login, isAuthFailure)).toBe('connected');
    expect(tried).toEqual([v1, v2]);
    expect(reads).toHaveLength(2);
    expect(await reader.get()).toEqual({ versionId: id2, value: v2 }); // the refreshed value is cached
    expect(reads).toHaveLength(2);
  });

  it('withCredential: when the refresh finds the same version it does not retry or loop', async () => {
    const { reads, reader } = await setup();
    const failure = new AuthFailure('password authentication failed');
    const login = vi.fn(async (_value: string) => {
      throw failure;
    });
    await expect(reader.withCredential(login, isAuthFailure)).rejects.toBe(failure);
    expect(login).toHaveBeenCalledTimes(1);
    expect(reads).toHaveLength(2); // the first read and one refresh
  });

  it('withCredential: other errors neither refresh nor retry', async () => {
    const { reads, reader } = await setup();
    const login = vi.fn(async (_value: string) => {
      throw new Error('connection refused');
    });
    await expect(reader.withCredential(login, isAuthFailure)).rejects.toThrow('connection refused');
    expect(login).toHaveBeenCalledTimes(1);
    expect(reads).toHaveLength(1);
  });

  it('many callers failing at once share one refresh, and nothing is logged', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
    const { v1, reads, reader, rotate } = await setup();
    await reader.get();
    const { v2 } = await rotate();
    const login = async (value: string) => {
      if (value === v1) throw new AuthFailure('password authentication failed');
      return value;
    };
    const results = await Promise.all(Array.from({ length: 5 }, () => reader.withCredential(login, isAuthFailure)));
    expect(results).toEqual(Array(5).fill(v2));
    expect(reads).toHaveLength(2);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('refreshAfterAuthFailure drops the cache and reads the store again', async () => {
    const { reads, reader, rotate } = await setup();
    await reader.get();
    const { id2 } = await rotate();
    expect((await reader.refreshAfterAuthFailure()).versionId).toBe(id2);
    expect(reads).toHaveLength(2);
  });
});
