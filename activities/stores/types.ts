/**
 * The one staged-version model every secret store offers (AWS Secrets Manager's staging
 * labels, by name): a value is written as *pending*, invisible to consumers, then promoted
 * to *current*; the old current becomes *previous*, which rollback promotes again.
 * Values cross this interface only inside activities; workflows see `SecretRef`s and ids.
 */

import type { SecretRef } from '../../workflows/types';

export type { SecretRef };

/** Which version to read: a stage or a version id returned by `putPending`. */
export type VersionSelector = 'current' | 'previous' | 'pending' | { versionId: string };

/** A version's stages, as `describe` reports them. */
export type Stage = 'current' | 'previous' | 'pending';

/** Metadata about one version; never its value. */
export interface VersionInfo {
  versionId: string;
  stages: Stage[];
  createdAt?: string;
}

/** What `describe` reports: versions and stages, last change, never values. */
export interface SecretDescription {
  ref: SecretRef;
  exists: boolean;
  versions: VersionInfo[];
  lastChangedAt?: string;
}

/** A value read from a store, with the version it came from. */
export interface SecretVersion {
  versionId: string;
  value: string;
}

/** The staged-version contract every adapter passes (test/stores/contract.ts). */
export interface SecretStore {
  /** The store's name in the inventory (audit records and errors name it). */
  readonly name: string;
  /** Writes `value` as the pending version. Same token + same value: same version id; same token + other value: Conflict. */
  putPending(ref: SecretRef, value: string, idempotencyToken: string): Promise<string>;
  /** Reads a version; NotFound when the secret or that version does not exist. */
  getVersion(ref: SecretRef, which: VersionSelector): Promise<SecretVersion>;
  /** Pending `versionId` becomes current, current becomes previous. Conflict when another writer moved current meanwhile. Promoting the version that is already current is a no-op. */
  promote(ref: SecretRef, versionId: string): Promise<void>;
  /** Removes the pending version `versionId`; a no-op when it is not pending (idempotent). */
  discardPending(ref: SecretRef, versionId: string): Promise<void>;
  /** Versions and their stages; `exists: false` for a secret never written. */
  describe(ref: SecretRef): Promise<SecretDescription>;
}

/** Looks a store up by its inventory name. */
export interface StoreRegistry {
  get(name: string): SecretStore;
}
