/**
 * The contract every SecretStore adapter passes, run against real servers (OpenBao, moto)
 * and, for OCI, against a local server that checks request signatures. Each adapter's test
 * file calls `describeStoreContract` with a fixture that knows how to reach its server.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { secretsInLogs } from '../helpers/log-scan';
import { AccessDeniedError, ConflictError, NotFoundError, ThrottledError } from '../../activities/stores/errors';
import type { SecretRef, SecretStore } from '../../activities/stores/types';

/** What an adapter's test supplies to the contract suite. */
export interface StoreContractFixture {
  /** A store with full rights. */
  store: SecretStore;
  /** A fresh, unique ref that was never written. */
  newRef(): SecretRef;
  /** A store whose identity may read but not write (real policy, or a server answering 403). */
  readOnlyStore(): Promise<SecretStore>;
  /** A store whose server answers every call with throttling (real rate limit, or a local fault server). */
  throttledStore(): Promise<SecretStore>;
  /** What a consumer that knows nothing of staging reads right now (the store's "latest"/current view). */
  consumerRead(ref: SecretRef): Promise<string | undefined>;
}

/** A value that looks like a real secret and is unique to this run. */
export const secretValue = (label: string) => JSON.stringify({ label, password: `S3cr3t-${randomBytes(12).toString('hex')}` });

export function describeStoreContract(name: string, setup: () => Promise<StoreContractFixture>): void {
  describe(`${name}: SecretStore contract`, () => {
    const fx = () => setup();
    const written: string[] = [];
    const value = (_f: StoreContractFixture, label: string) => {
      const v = secretValue(label);
      written.push(v);
      return v;
    };

    afterAll(() => {
      // the suite's own output, every service's log and the audit devices: no value written
      expect(written.length).toBeGreaterThan(10);
      expect(secretsInLogs(written.map((v) => JSON.parse(v).password as string))).toEqual([]);
    });

    /** A secret with v1 current, as the first rotation leaves it. */
    async function withCurrent(f: StoreContractFixture): Promise<{ ref: SecretRef; v1: string; id1: string }> {
      const ref = f.newRef();
      const v1 = value(f, 'v1');
      const id1 = await f.store.putPending(ref, v1, randomUUID());
      await f.store.promote(ref, id1);
      return { ref, v1, id1 };
    }

    it('a secret never written: describe says so and reads are NotFound', async () => {
      const f = await fx();
      const ref = f.newRef();
      expect((await f.store.describe(ref)).exists).toBe(false);
      await expect(f.store.getVersion(ref, 'current')).rejects.toBeInstanceOf(NotFoundError);
      expect(await f.consumerRead(ref)).toBeUndefined();
    });

    it('a staged write is invisible to current readers until promoted', async () => {
      const f = await fx();
      const { ref, v1, id1 } = await withCurrent(f);
      const v2 = value(f, 'v2');
      const id2 = await f.store.putPending(ref, v2, randomUUID());
      expect(id2).not.toBe(id1);
      expect(await f.store.getVersion(ref, 'current')).toEqual({ versionId: id1, value: v1 });
      expect(await f.consumerRead(ref)).toBe(v1);
      expect(await f.store.getVersion(ref, 'pending')).toEqual({ versionId: id2, value: v2 });
      expect(await f.store.getVersion(ref, { versionId: id2 })).toEqual({ versionId: id2, value: v2 });
    });

    it('promote makes pending current and current previous; rollback promotes previous again', async () => {
      const f = await fx();
      const { ref, v1, id1 } = await withCurrent(f);
      const v2 = value(f, 'v2');
      const id2 = await f.store.putPending(ref, v2, randomUUID());
      await f.store.promote(ref, id2);
      expect(await f.store.getVersion(ref, 'current')).toEqual({ versionId: id2, value: v2 });
      expect(await f.store.getVersion(ref, 'previous')).toEqual({ versionId: id1, value: v1 });
      expect(await f.consumerRead(ref)).toBe(v2);
      const stages = Object.fromEntries((await f.store.describe(ref)).versions.map((v) => [v.versionId, v.stages]));
      expect(stages[id2]).toContain('current');
      expect(stages[id1]).toContain('previous');

      // rollback
      await f.store.promote(ref, id1);
      expect(await f.store.getVersion(ref, 'current')).toEqual({ versionId: id1, value: v1 });
      expect(await f.store.getVersion(ref, 'previous')).toEqual({ versionId: id2, value: v2 });
      expect(await f.consumerRead(ref)).toBe(v1);
    });

    it('promoting the version that is already current changes nothing (a retried promote)', async () => {
      const f = await fx();
      const { ref, v1, id1 } = await withCurrent(f);
      await f.store.promote(ref, id1);
      expect(await f.store.getVersion(ref, 'current')).toEqual({ versionId: id1, value: v1 });
    });

    it('putPending is idempotent: same token and value is one version; same token, other value is Conflict', async () => {
      const f = await fx();
      const { ref } = await withCurrent(f);
      const token = randomUUID();
      const v2 = value(f, 'v2');
      const a = await f.store.putPending(ref, v2, token);
      const b = await f.store.putPending(ref, v2, token);
      expect(b).toBe(a);
      const pendings = (await f.store.describe(ref)).versions.filter((v) => v.stages.includes('pending'));
      expect(pendings.map((v) => v.versionId)).toEqual([a]);
      await expect(f.store.putPending(ref, value(f, 'other'), token)).rejects.toBeInstanceOf(ConflictError);
    });

    it('discardPending removes the pending version and is idempotent', async () => {
      const f = await fx();
      const { ref, v1, id1 } = await withCurrent(f);
      const id2 = await f.store.putPending(ref, value(f, 'v2'), randomUUID());
      await f.store.discardPending(ref, id2);
      await f.store.discardPending(ref, id2);
      await expect(f.store.getVersion(ref, 'pending')).rejects.toBeInstanceOf(NotFoundError);
      expect(await f.store.getVersion(ref, 'current')).toEqual({ versionId: id1, value: v1 });
    });

    it('concurrent promotes cannot interleave: a replaced pending version is refused with Conflict', async () => {
      const f = await fx();
      const { ref } = await withCurrent(f);
      const idA = await f.store.putPending(ref, value(f, 'writer-a'), randomUUID());
      const vB = value(f, 'writer-b');
      const idB = await f.store.putPending(ref, vB, randomUUID());
      const results = await Promise.allSettled([f.store.promote(ref, idA), f.store.promote(ref, idB)]);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect(rejected[0].reason).toBeInstanceOf(ConflictError);
      expect((await f.store.getVersion(ref, 'current')).versionId).toBe(idB);
    });

    it('errors are typed: NotFound, AccessDenied, Throttled', async () => {
      const f = await fx();
      const { ref } = await withCurrent(f);
      await expect(f.store.getVersion(ref, { versionId: 'no-such-version-0000' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(f.store.getVersion(f.newRef(), 'previous')).rejects.toBeInstanceOf(NotFoundError);
      const ro = await f.readOnlyStore();
      await expect(ro.putPending(ref, value(f, 'denied'), randomUUID())).rejects.toBeInstanceOf(AccessDeniedError);
      const slow = await f.throttledStore();
      await expect(slow.getVersion(ref, 'current')).rejects.toBeInstanceOf(ThrottledError);
    });
  });
}
