/**
 * Vault/OpenBao KV v2 adapter. Consumers read the latest KV version at `<mount>/data/<path>`,
 * so the staged-version model is laid out like this:
 *
 * - pending: one slot per secret at `<mount>/data/_rotator/pending/<path>` holding
 *   `{ value, versionId, token }`. A separate subtree (not a sibling of the secret) so a
 *   consumer policy such as `secret/data/apps/payments/*` never covers staged values. The
 *   slot keeps one KV version (`max_versions: 1`) and is removed with its history
 *   (metadata delete) when promoted or discarded, so no staged value lingers.
 * - current: the latest KV version at the main path; previous: the KV version before it.
 *   History stays linear: promoting the previous version again (rollback) writes its value
 *   as a new KV version, so the version that was current before the rollback becomes previous.
 * - version ids: `sha256(idempotency token)`, so a retried write names the same version. The
 *   id each KV version holds is recorded in the secret's `custom_metadata` as
 *   `rotator-kv-<n>: <versionId>` (the main path's data stays exactly what consumers read);
 *   a KV version written by someone else is named `kv-<n>`.
 * - the value: a JSON object is written as the KV data itself (consumers read its fields,
 *   `bao kv get -field=password`); any other value as `{ value: "<string>" }`. Reading a
 *   JSON object back gives Vault's canonical form (keys sorted, no whitespace).
 *
 * Every main-path write carries `cas` = the KV version read, so concurrent writers cannot
 * interleave. The rotator's policy needs: data `create read update` on the paths and their
 * staging paths; metadata `read patch` on the paths (the version-id record), and `create
 * update read delete` on the staging paths.
 */
import { createHash } from 'node:crypto';
import vault from 'node-vault';
import { z } from 'zod';
import {
  AccessDeniedError,
  ConflictError,
  InvalidValueError,
  NotFoundError,
  StoreError,
  ThrottledError,
  UnavailableError,
} from './errors';
import type { SecretDescription, SecretRef, SecretStore, SecretVersion, Stage, VersionInfo, VersionSelector } from './types';

/** Where pending values wait, relative to the mount: `<mount>/data/_rotator/pending/<path>`. */
export const VAULT_STAGING_PREFIX = '_rotator/pending';
/** The custom_metadata key recording which rotator version id KV version `n` holds. */
export const vaultVersionKey = (n: number): string => `rotator-kv-${n}`;

/** How the store authenticates. */
export type VaultAuth =
  | { kind: 'token'; token: string }
  /** Logs in at `auth/<mount>/login` (default mount `approle`) and renews its token lazily. */
  | { kind: 'approle'; roleId: string; secretId: string; mount?: string };

/** Constructor options of {@link VaultKvStore}. */
export interface VaultKvStoreOptions {
  /** The store's name in the inventory. */
  name: string;
  /** e.g. `https://vault.example:8200` */
  address: string;
  /** The KV v2 mount; default `secret`. */
  mount?: string;
  auth: VaultAuth;
  /** Vault Enterprise / OpenBao namespace. */
  namespace?: string;
  /** Per-request timeout; default 10 s. */
  requestTimeoutMs?: number;
}

/** The version id for an idempotency token: the same token always names the same version. */
export function vaultVersionIdFor(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const CAS_MISMATCH = 'check-and-set parameter did not match';
/** At most this many version-id records are kept (custom_metadata holds at most 64 keys). */
const MAX_RECORDED_VERSIONS = 48;
/** Token age, as a fraction of its TTL, at which it is renewed. */
const RENEW_AT = 2 / 3;

const Data = z.record(z.string(), z.unknown());
const Custom = z.record(z.string(), z.string()).nullish();
const KvRead = z.object({
  data: z.object({ data: Data.nullable(), metadata: z.object({ version: z.number(), created_time: z.string(), custom_metadata: Custom }) }),
});
const KvVersionMeta = z.object({ created_time: z.string(), deletion_time: z.string(), destroyed: z.boolean() });
const KvMetadata = z.object({
  data: z.object({ current_version: z.number(), updated_time: z.string(), custom_metadata: Custom, versions: z.record(z.string(), KvVersionMeta) }),
});
const KvWrite = z.object({ data: z.object({ version: z.number() }) });
const Slot = z.object({ value: z.string(), versionId: z.string(), token: z.string() });
const Auth = z.object({ auth: z.object({ client_token: z.string(), lease_duration: z.number(), renewable: z.boolean() }) });

type Metadata = z.infer<typeof KvMetadata>['data'];
type PendingSlot = z.infer<typeof Slot> & { createdAt: string; kvVersion: number };
type Op = 'read' | 'write' | 'patch' | 'delete' | 'login to';

interface Session {
  obtainedAt: number;
  ttlMs: number;
  renewable: boolean;
}

/** SecretStore over a Vault or OpenBao KV v2 mount. */
export class VaultKvStore implements SecretStore {
  readonly name: string;
  private readonly client: vault.client;
  private readonly mount: string;
  private readonly auth: VaultAuth;
  private session?: Session;
  private refreshing?: Promise<void>;

  constructor(o: VaultKvStoreOptions) {
    this.name = o.name;
    this.mount = trimSlashes(o.mount ?? 'secret');
    this.auth = o.auth;
    this.client = vault({
      endpoint: o.address,
      token: o.auth.kind === 'token' ? o.auth.token : undefined,
      namespace: o.namespace,
      // node-vault's debug output prints request bodies, i.e. secret values: silence it.
      debug: () => undefined,
      requestOptions: { timeout: o.requestTimeoutMs ?? 10_000 },
    });
    // node-vault falls back to VAULT_TOKEN / VAULT_NAMESPACE / VAULT_PREFIX from the environment: configuration is injected, never ambient.
    Object.assign(this.client, { token: o.auth.kind === 'token' ? o.auth.token : '', namespace: o.namespace ?? '', pathPrefix: '' });
  }

  async putPending(ref: SecretRef, value: string, idempotencyToken: string): Promise<string> {
    const versionId = vaultVersionIdFor(idempotencyToken);
    const [slot, meta] = await Promise.all([this.readSlot(ref), this.readMetadata(ref)]);
    if (slot?.versionId === versionId) {
      if (slot.value === value) return versionId;
      throw new ConflictError(ref, `idempotency token already used for version ${versionId} with other content`);
    }
    // A retry after this version was promoted: it is already written, do not stage it again.
    const promotedAt = meta ? liveVersionsOf(meta, versionId)[0] : undefined;
    if (promotedAt !== undefined) {
      if (sameData(await this.readData(ref, promotedAt), encodeValue(value))) return versionId;
      throw new ConflictError(ref, `idempotency token already used for version ${versionId} with other content`);
    }
    const staging = this.apiPath(ref, 'metadata', true);
    // One KV version only, so a replaced pending value leaves no history behind.
    if (!slot) await this.call(ref, 'write', staging, () => this.client.write(staging, { max_versions: 1 }));
    const path = this.apiPath(ref, 'data', true);
    // cas: a concurrent putPending that replaced the slot meanwhile makes this one a Conflict.
    const data = { value, versionId, token: idempotencyToken };
    await this.call(ref, 'write', path, () => this.client.write(path, { data, options: { cas: slot?.kvVersion ?? 0 } }));
    return versionId;
  }

  async getVersion(ref: SecretRef, which: VersionSelector): Promise<SecretVersion> {
    if (which === 'pending') {
      const slot = await this.readSlot(ref);
      if (!slot) throw new NotFoundError(ref, 'no pending version');
      return { versionId: slot.versionId, value: slot.value };
    }
    if (which === 'current') {
      const path = this.apiPath(ref, 'data');
      const read = parse(ref, path, KvRead, await this.call(ref, 'read', path, () => this.client.read(path)));
      const { version, custom_metadata } = read.data.metadata;
      if (!read.data.data) throw new NotFoundError(ref, 'the current version was deleted');
      return { versionId: custom_metadata?.[vaultVersionKey(version)] ?? `kv-${version}`, value: decodeValue(read.data.data) };
    }
    const [slot, meta] = await Promise.all([which === 'previous' ? undefined : this.readSlot(ref), this.readMetadata(ref)]);
    if (which === 'previous') {
      const n = meta ? previousOf(meta) : undefined;
      if (!meta || n === undefined) throw new NotFoundError(ref, 'no previous version');
      return { versionId: idOf(meta, n), value: decodeValue(await this.readData(ref, n)) };
    }
    if (slot?.versionId === which.versionId) return { versionId: slot.versionId, value: slot.value };
    const n = meta && liveVersionsOf(meta, which.versionId)[0];
    if (n === undefined) throw new NotFoundError(ref, `version ${which.versionId} does not exist`);
    return { versionId: which.versionId, value: decodeValue(await this.readData(ref, n)) };
  }

  async promote(ref: SecretRef, versionId: string): Promise<void> {
    const [slot, meta] = await Promise.all([this.readSlot(ref), this.readMetadata(ref)]);
    const pending = slot?.versionId === versionId;
    if (meta && meta.current_version > 0 && idOf(meta, meta.current_version) === versionId) {
      if (pending) await this.clearSlot(ref); // a retried promote that stopped before clearing the slot
      return;
    }
    let data: Record<string, unknown>;
    if (slot && pending) data = encodeValue(slot.value);
    else {
      // Only the previous version may come back (rollback); anything else was replaced or discarded.
      const previous = meta ? previousOf(meta) : undefined;
      if (!meta || previous === undefined || idOf(meta, previous) !== versionId) {
        throw new ConflictError(ref, `version ${versionId} is neither pending nor previous (replaced, discarded or unknown)`);
      }
      data = await this.readData(ref, previous);
    }
    await this.writeCurrent(ref, versionId, data, meta);
    if (pending) await this.clearSlot(ref);
  }

  async discardPending(ref: SecretRef, versionId: string): Promise<void> {
    const slot = await this.readSlot(ref);
    if (slot?.versionId === versionId) await this.clearSlot(ref);
  }

  async describe(ref: SecretRef): Promise<SecretDescription> {
    const [slot, meta] = await Promise.all([this.readSlot(ref), this.readMetadata(ref)]);
    if (!slot && !meta) return { ref, exists: false, versions: [] };
    const byId = new Map<string, VersionInfo>();
    const add = (versionId: string, stage: Stage | undefined, createdAt: string) => {
      const info = byId.get(versionId) ?? { versionId, stages: [], createdAt };
      if (stage) info.stages.push(stage);
      byId.set(versionId, info);
    };
    if (slot) add(slot.versionId, 'pending', slot.createdAt);
    if (meta) {
      const previous = previousOf(meta);
      for (const n of liveVersions(meta)) {
        add(idOf(meta, n), n === meta.current_version ? 'current' : n === previous ? 'previous' : undefined, meta.versions[n].created_time);
      }
    }
    // Vault's timestamps vary in fractional digits: compare them as times, not strings.
    const changes = [meta?.updated_time, slot?.createdAt].filter((t): t is string => !!t).sort((a, b) => Date.parse(a) - Date.parse(b));
    return { ref, exists: true, versions: [...byId.values()], lastChangedAt: changes.at(-1) };
  }

  /**
   * Writes `data` as the new current KV version with `cas` = the version `meta` saw, then
   * records which rotator version it holds. A crash between the two leaves an unrecorded
   * KV version holding our data: the retry adopts it instead of writing it twice.
   */
  private async writeCurrent(ref: SecretRef, versionId: string, data: Record<string, unknown>, meta: Metadata | undefined): Promise<void> {
    const seen = meta?.current_version ?? 0;
    if (meta && (await this.holdsUnrecorded(ref, meta, data))) return this.record(ref, meta, seen, versionId);
    const path = this.apiPath(ref, 'data');
    let written: number;
    try {
      const out = await this.call(ref, 'write', path, () => this.client.write(path, { data, options: { cas: seen } }));
      written = parse(ref, path, KvWrite, out).data.version;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // A twin run of this promote may have won the cas: then it is done (or we finish its record).
      const now = await this.readMetadata(ref);
      if (now && idOf(now, now.current_version) === versionId) return;
      if (now && (await this.holdsUnrecorded(ref, now, data))) return this.record(ref, now, now.current_version, versionId);
      throw new ConflictError(ref, `the current version changed while promoting ${versionId}`);
    }
    await this.record(ref, meta, written, versionId);
  }

  /** Whether the current KV version carries no version-id record and holds exactly `data`. */
  private async holdsUnrecorded(ref: SecretRef, meta: Metadata, data: Record<string, unknown>): Promise<boolean> {
    const n = meta.current_version;
    if (n === 0 || meta.custom_metadata?.[vaultVersionKey(n)] !== undefined || !isLive(meta, n)) return false;
    return sameData(await this.readData(ref, n), data);
  }

  /** Records `rotator-kv-<written>: versionId` and drops records of versions KV no longer keeps (merge patch: other keys untouched). */
  private async record(ref: SecretRef, meta: Metadata | undefined, written: number, versionId: string): Promise<void> {
    const custom: Record<string, string | null> = { [vaultVersionKey(written)]: versionId };
    const kept = new Set(liveVersions(meta).filter((n) => n > written - MAX_RECORDED_VERSIONS));
    for (const key of Object.keys(meta?.custom_metadata ?? {})) {
      const n = /^rotator-kv-(\d+)$/.exec(key)?.[1];
      if (n !== undefined && Number(n) !== written && !kept.has(Number(n))) custom[key] = null;
    }
    const path = this.apiPath(ref, 'metadata');
    await this.call(ref, 'patch', path, () => this.client.update(path, { custom_metadata: custom }));
  }

  /** The pending slot, or undefined when nothing is pending. */
  private async readSlot(ref: SecretRef): Promise<PendingSlot | undefined> {
    const path = this.apiPath(ref, 'data', true);
    const out = await this.readOrUndefined(ref, path);
    if (out === undefined) return undefined;
    const read = parse(ref, path, KvRead, out).data;
    const slot = Slot.safeParse(read.data);
    if (!slot.success) throw new InvalidValueError(ref, `${path} does not hold a pending version written by rotator`);
    return { ...slot.data, createdAt: read.metadata.created_time, kvVersion: read.metadata.version };
  }

  /** The main path's metadata, or undefined when the secret was never written. */
  private async readMetadata(ref: SecretRef): Promise<Metadata | undefined> {
    const path = this.apiPath(ref, 'metadata');
    const out = await this.readOrUndefined(ref, path);
    return out === undefined ? undefined : parse(ref, path, KvMetadata, out).data;
  }

  /** The data of KV version `n` at the main path. */
  private async readData(ref: SecretRef, n: number): Promise<Record<string, unknown>> {
    const path = this.apiPath(ref, 'data');
    const read = parse(ref, path, KvRead, await this.call(ref, 'read', path, () => this.client.read(`${path}?version=${n}`)));
    if (!read.data.data) throw new NotFoundError(ref, `KV version ${n} was deleted`);
    return read.data.data;
  }

  private async readOrUndefined(ref: SecretRef, path: string): Promise<unknown> {
    try {
      return await this.call(ref, 'read', path, () => this.client.read(path));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** Removes the pending slot with its history, so the staged value is gone from Vault. */
  private async clearSlot(ref: SecretRef): Promise<void> {
    const path = this.apiPath(ref, 'metadata', true);
    try {
      await this.call(ref, 'delete', path, () => this.client.delete(path));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err; // already gone: a twin run cleared it
    }
  }

  /** `<mount>/<kind>/<path>` (or its staging path), each segment URL-encoded. */
  private apiPath(ref: SecretRef, kind: 'data' | 'metadata', staging = false): string {
    const segments = ref.path.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new InvalidValueError(ref, 'a KV path has no empty, "." or ".." segments');
    if (`${ref.path}/`.startsWith(`${VAULT_STAGING_PREFIX}/`)) throw new InvalidValueError(ref, `paths under ${VAULT_STAGING_PREFIX}/ are rotator's staging area`);
    const path = (staging ? [...VAULT_STAGING_PREFIX.split('/'), ...segments] : segments).map(encodeURIComponent).join('/');
    return `${this.mount}/${kind}/${path}`;
  }

  /** Runs one request with a fresh token, turning its failures into typed errors that never quote Vault. */
  private async call<T>(ref: SecretRef | undefined, op: Op, path: string, send: () => Promise<T>): Promise<T> {
    await this.ensureToken(ref);
    try {
      return await send();
    } catch (err) {
      throw mapVaultError(ref, op, path, err);
    }
  }

  /**
   * AppRole: logs in on first use and renews the token once 2/3 of its TTL has passed, logging
   * in again when renewal fails or the token is not renewable. Lazy, on the calling path: no
   * timer keeps the process alive. Concurrent calls share one refresh.
   */
  private async ensureToken(ref: SecretRef | undefined): Promise<void> {
    if (this.auth.kind !== 'approle') return;
    const s = this.session;
    const due = !s || (s.ttlMs > 0 && Date.now() - s.obtainedAt >= s.ttlMs * RENEW_AT);
    if (due && !this.refreshing) {
      const approle = this.auth;
      this.refreshing = this.refresh(ref, approle).finally(() => {
        this.refreshing = undefined;
      });
    }
    if (this.refreshing) await this.refreshing;
  }

  private async refresh(ref: SecretRef | undefined, approle: Extract<VaultAuth, { kind: 'approle' }>): Promise<void> {
    if (this.session?.renewable) {
      const path = 'auth/token/renew-self';
      try {
        this.adopt(ref, path, await this.client.write(path, {}));
        return;
      } catch {
        // expired, revoked or past its max TTL: a fresh login follows
      }
    }
    const path = `auth/${trimSlashes(approle.mount ?? 'approle')}/login`;
    this.client.token = ''; // log in anonymously, not with the stale token
    try {
      this.adopt(ref, path, await this.client.write(path, { role_id: approle.roleId, secret_id: approle.secretId }));
    } catch (err) {
      this.session = undefined;
      if (err instanceof StoreError) throw err;
      const status = statusOf(err);
      // A wrong role id or secret id is answered with 400: it is a refusal, not a malformed request.
      if (status === 400 || status === 401 || status === 403) throw new AccessDeniedError(ref, `AppRole login at ${path} was refused: check the role id and secret id`);
      throw mapVaultError(ref, 'login to', path, err);
    }
  }

  private adopt(ref: SecretRef | undefined, path: string, out: unknown): void {
    const { auth } = parse(ref, path, Auth, out);
    this.client.token = auth.client_token;
    this.session = { obtainedAt: Date.now(), ttlMs: auth.lease_duration * 1000, renewable: auth.renewable };
  }
}

/** A JSON object becomes the KV data (its fields); anything else `{ value }`. */
export function encodeValue(value: string): Record<string, unknown> {
  const parsed = parseObject(value);
  // An object shaped like our wrapper is wrapped too, so decoding is never ambiguous.
  return parsed && !isWrapper(parsed) ? parsed : { value };
}

/** The inverse of {@link encodeValue} (JSON objects come back in Vault's canonical form). */
export function decodeValue(data: Record<string, unknown>): string {
  return isWrapper(data) ? data.value : JSON.stringify(data);
}

function parseObject(value: string): Record<string, unknown> | undefined {
  try {
    const parsed = Data.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function isWrapper(data: Record<string, unknown>): data is { value: string } {
  const keys = Object.keys(data);
  return keys.length === 1 && keys[0] === 'value' && typeof data.value === 'string';
}

/** Equal as Vault stores them (key order does not matter). */
function sameData(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return stable(a) === stable(b);
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stable(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The rotator version id of KV version `n`; `kv-<n>` for a version written by someone else. */
function idOf(meta: Metadata, n: number): string {
  return meta.custom_metadata?.[vaultVersionKey(n)] ?? `kv-${n}`;
}

function isLive(meta: Metadata, n: number): boolean {
  const v = meta.versions[n];
  if (!v || v.destroyed) return false;
  return !v.deletion_time || Date.parse(v.deletion_time) > Date.now();
}

/** KV versions still readable, newest first. */
function liveVersions(meta: Metadata | undefined): number[] {
  if (!meta) return [];
  return Object.keys(meta.versions)
    .map(Number)
    .filter((n) => isLive(meta, n))
    .sort((a, b) => b - a);
}

/** Live KV versions holding `versionId`, newest first (a rollback makes one id hold several). */
function liveVersionsOf(meta: Metadata, versionId: string): number[] {
  return liveVersions(meta).filter((n) => idOf(meta, n) === versionId);
}

/** The KV version before the current one, when it can still be read. */
function previousOf(meta: Metadata): number | undefined {
  const n = meta.current_version - 1;
  return n >= 1 && isLive(meta, n) ? n : undefined;
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}

function parse<T>(ref: SecretRef | undefined, path: string, schema: z.ZodType<T>, out: unknown): T {
  const parsed = schema.safeParse(out);
  if (!parsed.success) throw new InvalidValueError(ref, `unexpected response from ${path}: is it a KV v2 mount?`);
  return parsed.data;
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('response' in err)) return undefined;
  const response: unknown = err.response;
  if (typeof response !== 'object' || response === null || !('statusCode' in response)) return undefined;
  return typeof response.statusCode === 'number' ? response.statusCode : undefined;
}

function vaultErrors(err: unknown): string[] {
  if (typeof err !== 'object' || err === null || !('response' in err)) return [];
  const body = z.object({ body: z.object({ errors: z.array(z.string()) }) }).safeParse(err.response);
  return body.success ? body.data.body.errors : [];
}

function networkCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : undefined;
}

/**
 * Maps a node-vault failure (`err.response.statusCode`; axios network errors carry a `code`)
 * to a typed store error. The message names the operation and path only: Vault's own message
 * can echo what it was sent.
 */
export function mapVaultError(ref: SecretRef | undefined, op: Op, path: string, err: unknown): StoreError {
  const status = statusOf(err);
  if (status === 401 || status === 403) return new AccessDeniedError(ref, `the token's policy does not allow ${op} on ${path}`);
  if (status === 404) return new NotFoundError(ref, `${path} does not exist`);
  if (status === 429) return new ThrottledError(ref, `${op} on ${path} was rate limited (HTTP 429)`);
  if (status === 400 && vaultErrors(err).some((e) => e.includes(CAS_MISMATCH))) {
    return new ConflictError(ref, `${path} changed since it was read (check-and-set mismatch)`);
  }
  // 412: a standby has not caught up yet; retrying helps.
  if (status !== undefined && status >= 400 && status < 500 && status !== 412) return new InvalidValueError(ref, `${op} on ${path} was refused (HTTP ${status})`);
  const why = status !== undefined ? `HTTP ${status}` : (networkCode(err) ?? 'no response');
  return new UnavailableError(ref, `${op} on ${path} failed: ${why}`);
}
