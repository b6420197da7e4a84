/**
 * What an application uses to read a rotated credential: the current version, cached for a
 * TTL (the `consumerCacheTtl` the inventory declares; grace >= TTL is what makes rotation
 * safe), and refreshed early once when the application reports that a login failed.
 * It never logs, and never serves a value older than the TTL: a stale value past the grace
 * period would be a credential that no longer logs in.
 */
import type { SecretRef, SecretStore, SecretVersion } from '../activities/stores/types';

/** Options of {@link SecretReader}. */
export interface SecretReaderOptions {
  store: Pick<SecretStore, 'getVersion'>;
  ref: SecretRef;
  /** How long a read value is reused; 0 reads the store every time. */
  ttlMs: number;
  /** Clock in milliseconds; tests inject one. */
  now?: () => number;
}

/** Reads and caches the current version of one secret for an application. */
export class SecretReader {
  private readonly store: Pick<SecretStore, 'getVersion'>;
  private readonly ref: SecretRef;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private cached?: { version: SecretVersion; readAt: number; seq: number };
  private reading?: Promise<SecretVersion>;
  private refreshing?: Promise<SecretVersion>;
  private seq = 0;
  private floor = 0;

  constructor(o: SecretReaderOptions) {
    if (!Number.isFinite(o.ttlMs) || o.ttlMs < 0) throw new RangeError('ttlMs must be a finite number >= 0');
    this.store = o.store;
    this.ref = o.ref;
    this.ttlMs = o.ttlMs;
    this.now = o.now ?? Date.now;
  }

  /** The current value and its version id, from the cache while it is younger than the TTL. */
  async get(): Promise<SecretVersion> {
    if (this.cached && this.now() - this.cached.readAt < this.ttlMs) return this.cached.version;
    if (this.refreshing) return this.refreshing;
    // Concurrent callers share one store read.
    return (this.reading ??= this.fetch().finally(() => (this.reading = undefined)));
  }

  /**
   * The caller's login failed: drop the cache and read once more. When `failedVersionId` is
   * given and the cache already holds another version (someone refreshed first), that one
   * is returned without a store call; concurrent refreshes share one read.
   */
  async refreshAfterAuthFailure(failedVersionId?: string): Promise<SecretVersion> {
    if (failedVersionId !== undefined && this.cached && this.cached.version.versionId !== failedVersionId) return this.cached.version;
    // Not joined with an ordinary read in flight: it may have started before the new version was promoted.
    if (!this.refreshing) {
      this.cached = undefined;
      this.floor = this.seq + 1; // a read begun before now must not refill the cache
    }
    return (this.refreshing ??= this.fetch().finally(() => (this.refreshing = undefined)));
  }

  /**
   * Calls `fn` with the current value. If it fails with an error `isAuthFailure` flags,
   * refreshes once and, only if that yields a different version, calls `fn` once more;
   * the same version again means a retry would fail the same way, so the error stands.
   */
  async withCredential<T>(fn: (value: string) => Promise<T>, isAuthFailure: (err: unknown) => boolean): Promise<T> {
    const used = await this.get();
    try {
      return await fn(used.value);
    } catch (err) {
      if (!isAuthFailure(err)) throw err;
      const fresh = await this.refreshAfterAuthFailure(used.versionId);
      if (fresh.versionId === used.versionId) throw err;
      return fn(fresh.value);
    }
  }

  /** One store read; cached unless it began before a refresh or a later read already landed. Failures are not cached. */
  private async fetch(): Promise<SecretVersion> {
    const seq = ++this.seq;
    // Stamp the start of the read: the value may have been replaced while it was in transit.
    const readAt = this.now();
    const version = await this.store.getVersion(this.ref, 'current');
    if (seq >= this.floor && (!this.cached || this.cached.seq < seq)) this.cached = { version, readAt, seq };
    return version;
  }
}
