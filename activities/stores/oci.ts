/**
 * OCI Vault adapter: secret versions carry OCI's own stages PENDING / CURRENT / PREVIOUS, so
 * the staged-version model maps onto them; content is always BASE64, never PLAIN; a secret
 * is only ever given new versions, never deleted and recreated.
 *
 * Where OCI lacks what the contract needs, the adapter supplies it, by rules written here:
 * - Idempotency: `updateSecret` takes no client token, so each version is *named* after the
 *   caller's token (`rotator-t-<sha256(token)>`; OCI keeps version names unique per secret).
 *   A retry looks the name up first: same content, same version; other content, Conflict.
 * - First write: OCI creates a secret only with a CURRENT first version, so the adapter
 *   creates it with a fixed, non-secret placeholder (`rotator-bootstrap`) and stages the
 *   value as PENDING on top: the value stays invisible to consumers until it is promoted.
 * - Discard: OCI cannot remove a stage, and only DEPRECATED versions may be scheduled for
 *   deletion. So a pending version is displaced by a non-secret tombstone version staged
 *   PENDING (`rotator-discarded-<n>`), which makes it DEPRECATED; its deletion is then
 *   scheduled (OCI's minimum, one day) so its content is destroyed. Tombstone and placeholder
 *   are never reported as versions and never read as values.
 * - Concurrency: promotion reads the secret's etag first and writes with `If-Match`, so a
 *   writer that staged or promoted meanwhile makes it fail (412, Conflict) instead of
 *   interleaving; OCI secrets are UPDATING for a while after each write and refuse writes
 *   then, so every write waits for ACTIVE first.
 * The SDK's own retries and circuit breaker are off: Temporal's retry policy is the only retry.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as common from 'oci-common';
import { SecretsClient, type models as secretModels, requests as secretRequests } from 'oci-secrets';
import { VaultsClient, models as vaultModels, type requests as vaultRequests } from 'oci-vault';
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

/** How the adapter authenticates to OCI. Key material comes from the environment, never a literal. */
export type OciAuth =
  | { kind: 'config-file'; file?: string; profile?: string }
  | { kind: 'instance-principal' }
  | {
      kind: 'key';
      tenancy: string;
      user: string;
      fingerprint: string;
      /** PEM of the API signing key, read from the environment (`env:NAME` in the inventory). */
      privateKey: string;
      passphrase?: string;
      region: string;
    };

/** Constructor options of {@link OciVaultStore}. */
export interface OciVaultStoreOptions {
  /** The store's name in the inventory. */
  name: string;
  auth: OciAuth;
  /** Compartment that holds the secrets (listing and creation). */
  compartmentId: string;
  vaultId: string;
  /** Master encryption key for secrets the adapter creates. */
  keyId: string;
  /** Overrides the Secret Retrieval endpoint (API 20190301), e.g. a local test server. */
  secretsEndpoint?: string;
  /** Overrides the Secret Management endpoint (API 20180608). */
  vaultsEndpoint?: string;
  /** Wait between polls while a secret is CREATING/UPDATING (default 1000 ms). */
  pollIntervalMs?: number;
  /** How long to wait for ACTIVE before answering Unavailable (default 60 s). */
  settleTimeoutMs?: number;
  /** Schedule the deletion of discarded versions' content (default true). */
  destroyDiscarded?: boolean;
}

/** The few SDK calls the adapter makes; tests and callers may wrap them. */
export interface OciClients {
  secrets: Pick<SecretsClient, 'getSecretBundle'>;
  vaults: Pick<VaultsClient, 'createSecret' | 'getSecret' | 'listSecrets' | 'listSecretVersions' | 'updateSecret' | 'scheduleSecretVersionDeletion'>;
}

const BOOTSTRAP_VERSION = 'rotator-bootstrap';
const DISCARDED_PREFIX = 'rotator-discarded-';
const PLACEHOLDER = 'rotator: no value has been promoted to this secret yet';
const TOMBSTONE = 'rotator: a pending value was discarded here';
/** OCI's character set for secret and version names. */
const OCI_NAME = /^[A-Za-z0-9._-]{1,255}$/;
const LIVE = new Set(['ACTIVE', 'CREATING', 'UPDATING']);
const SETTLING = new Set(['CREATING', 'UPDATING', 'CANCELLING_DELETION']);
const HOUR_MS = 60 * 60_000;

const AUTH_HINT: Record<OciAuth['kind'], string> = {
  key: 'the API key (tenancy, user, fingerprint and private key)',
  'config-file': 'the OCI config file and profile (and the key file it names)',
  'instance-principal': 'the instance principal (the instance must be in a dynamic group the policy names)',
};

const SDK_STAGE: Record<'current' | 'previous', secretRequests.GetSecretBundleRequest.Stage> = {
  current: secretRequests.GetSecretBundleRequest.Stage.Current,
  previous: secretRequests.GetSecretBundleRequest.Stage.Previous,
};

/** The version name that records an idempotency token (OCI names allow `[A-Za-z0-9._-]`). */
export function ociVersionNameFor(token: string): string {
  return `rotator-t-${createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 40)}`;
}

/** SDK clients with the SDK's retries and circuit breaker off, pointed at overridden endpoints if given. */
export async function createOciClients(
  auth: OciAuth,
  endpoints: { secretsEndpoint?: string; vaultsEndpoint?: string } = {},
): Promise<{ secrets: SecretsClient; vaults: VaultsClient }> {
  const provider = await authProvider(auth);
  // Temporal retries the activity; SDK retries under it would multiply attempts and hide throttling.
  const config: common.ClientConfiguration = {
    retryConfiguration: common.NoRetryConfigurationDetails,
    circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true }),
  };
  const secrets = new SecretsClient({ authenticationDetailsProvider: provider }, config);
  const vaults = new VaultsClient({ authenticationDetailsProvider: provider }, config);
  if (endpoints.secretsEndpoint) secrets.endpoint = endpoints.secretsEndpoint;
  if (endpoints.vaultsEndpoint) vaults.endpoint = endpoints.vaultsEndpoint;
  return { secrets, vaults };
}

async function authProvider(auth: OciAuth): Promise<common.AuthenticationDetailsProvider> {
  try {
    switch (auth.kind) {
      case 'config-file':
        return new common.ConfigFileAuthenticationDetailsProvider(auth.file, auth.profile);
      case 'instance-principal':
        return await new common.InstancePrincipalsAuthenticationDetailsProviderBuilder().build();
      case 'key':
        // The SDK signs with the PEM held in memory: no key file is written.
        return new common.SimpleAuthenticationDetailsProvider(
          auth.tenancy,
          auth.user,
          auth.fingerprint,
          auth.privateKey,
          auth.passphrase ?? null,
          common.Region.fromRegionId(auth.region),
        );
    }
  } catch {
    // the SDK's message can quote the config file or the key it failed to parse
    throw new AccessDeniedError(undefined, `could not load OCI credentials: check ${AUTH_HINT[auth.kind]}`);
  }
}

type VersionSummary = vaultModels.SecretVersionSummary;
type Bundle = secretModels.SecretBundle;

/** SecretStore over OCI Vault secrets. */
export class OciVaultStore implements SecretStore {
  readonly name: string;
  private readonly o: OciVaultStoreOptions;
  private clients?: Promise<OciClients>;
  /** Secret OCIDs by name: listing is the only way from a name to an OCID. */
  private readonly ids = new Map<string, string>();

  constructor(options: OciVaultStoreOptions) {
    this.name = options.name;
    this.o = options;
  }

  async putPending(ref: SecretRef, value: string, idempotencyToken: string): Promise<string> {
    if (!value) throw new InvalidValueError(ref, 'an empty value cannot be stored');
    const name = ociVersionNameFor(idempotencyToken);
    return this.call(ref, 'write a pending version', async (c) => {
      const found = await this.findSecret(c, ref);
      if (found && !found.live) throw this.deletedSecret(ref);
      const id = found?.id ?? (await this.createWithPlaceholder(c, ref, idempotencyToken));
      const prior = await this.versionNamed(c, ref, id, name, value);
      if (prior) return prior;
      await this.waitActive(c, ref, id);
      try {
        await c.vaults.updateSecret({ secretId: id, updateSecretDetails: { secretContent: base64Content(value, 'PENDING', name) } });
      } catch (err) {
        // a concurrent attempt with the same token may have written the name first
        if (statusOf(err) !== 409) throw err;
        const raced = await this.versionNamed(c, ref, id, name, value);
        if (raced) return raced;
        throw err;
      }
      await this.waitActive(c, ref, id);
      const written = await this.versionNamed(c, ref, id, name, value);
      if (!written) throw new UnavailableError(ref, 'the new version is not visible yet; a retry finds it by its token');
      return written;
    });
  }

  async getVersion(ref: SecretRef, which: VersionSelector): Promise<SecretVersion> {
    const label = typeof which === 'string' ? which : 'requested';
    return this.call(ref, `read the ${label} version`, async (c) => {
      const id = (await this.findLiveSecret(c, ref)) ?? raise(new NotFoundError(ref, 'no such secret in the vault'));
      let bundle: Bundle | undefined;
      if (which === 'pending') {
        // read by number: should OCI ever keep two PENDING versions, the newest is ours
        const pending = effectivePending(await this.versions(c, id));
        bundle = pending && (await this.bundle(c, id, { versionNumber: pending.versionNumber }));
      } else if (typeof which === 'string') {
        bundle = await this.bundle(c, id, { stage: SDK_STAGE[which] });
      } else {
        const n = versionNumberOf(which.versionId);
        bundle = n === undefined ? undefined : await this.bundle(c, id, { versionNumber: n });
      }
      if (!bundle || isMarker(bundle.versionName)) throw new NotFoundError(ref, `has no ${label} version`);
      return { versionId: String(bundle.versionNumber), value: decode(ref, bundle) };
    });
  }

  async promote(ref: SecretRef, versionId: string): Promise<void> {
    await this.call(ref, 'promote a version', async (c) => {
      const id = (await this.findLiveSecret(c, ref)) ?? raise(new NotFoundError(ref, 'no such secret in the vault'));
      const n = versionNumberOf(versionId) ?? raise(new NotFoundError(ref, 'no such version'));
      // etag first, then the versions: If-Match below then covers everything we looked at
      const { secret, etag } = await this.waitActive(c, ref, id);
      if (secret.currentVersionNumber === n) return; // a retried promote
      const versions = await this.versions(c, id);
      const v = versions.find((x) => x.versionNumber === n) ?? raise(new NotFoundError(ref, 'no such version'));
      const isPending = effectivePending(versions)?.versionNumber === n;
      const isRollback = hasStage(v, 'PREVIOUS') && !isMarker(v.name);
      if (!isPending && !isRollback) throw new ConflictError(ref, 'that version is no longer the pending one: another writer staged or promoted meanwhile');
      // a call of its own: OCI takes content or currentVersionNumber in one update, not both
      await c.vaults.updateSecret({ secretId: id, ifMatch: etag, updateSecretDetails: { currentVersionNumber: n } });
      await this.waitActive(c, ref, id);
    });
  }

  async discardPending(ref: SecretRef, versionId: string): Promise<void> {
    await this.call(ref, 'discard a pending version', async (c) => {
      const id = await this.findLiveSecret(c, ref);
      const n = versionNumberOf(versionId);
      if (!id || n === undefined) return;
      const { etag } = await this.waitActive(c, ref, id);
      let versions = await this.versions(c, id);
      const tombstone = `${DISCARDED_PREFIX}${n}`;
      if (effectivePending(versions)?.versionNumber === n) {
        // OCI cannot unstage a version: a non-secret tombstone takes over PENDING, ours becomes DEPRECATED
        await c.vaults.updateSecret({ secretId: id, ifMatch: etag, updateSecretDetails: { secretContent: base64Content(TOMBSTONE, 'PENDING', tombstone) } });
        await this.waitActive(c, ref, id);
        versions = await this.versions(c, id);
        if (effectivePending(versions)?.versionNumber === n) throw new ConflictError(ref, 'the version is still pending; retry the discard');
      }
      const v = versions.find((x) => x.versionNumber === n);
      const discardedByUs = versions.some((x) => x.name === tombstone);
      if (this.o.destroyDiscarded === false || !v || !discardedByUs || v.timeOfDeletion || !isDeprecated(v)) return;
      // only DEPRECATED versions may be scheduled for deletion, at least a day ahead (an hour of margin for clock skew)
      await this.waitActive(c, ref, id);
      await c.vaults.scheduleSecretVersionDeletion({
        secretId: id,
        secretVersionNumber: n,
        scheduleSecretVersionDeletionDetails: { timeOfDeletion: new Date(Date.now() + 25 * HOUR_MS) },
      });
    });
  }

  async describe(ref: SecretRef): Promise<SecretDescription> {
    return this.call(ref, 'describe the secret', async (c) => {
      const id = await this.findLiveSecret(c, ref);
      if (!id) return { ref, exists: false, versions: [] };
      const all = await this.versions(c, id);
      const pending = effectivePending(all);
      const versions: VersionInfo[] = all
        .filter((v) => !isMarker(v.name))
        .map((v) => ({ versionId: String(v.versionNumber), stages: stagesOf(v, pending), createdAt: iso(v.timeCreated) }));
      const times = all.map((v) => iso(v.timeCreated)).filter((t): t is string => !!t).sort();
      return { ref, exists: true, versions, lastChangedAt: times.at(-1) };
    });
  }

  /** Runs `fn` with the clients and maps whatever it throws to a typed store error. */
  private async call<T>(ref: SecretRef, op: string, fn: (c: OciClients) => Promise<T>): Promise<T> {
    if (!OCI_NAME.test(ref.path)) {
      throw new InvalidValueError(ref, 'an OCI secret name may hold only letters, digits, hyphens, underscores and periods');
    }
    try {
      this.clients ??= createOciClients(this.o.auth, this.o).catch((err: unknown) => {
        this.clients = undefined; // a later call tries the credentials again
        throw err;
      });
      return await fn(await this.clients);
    } catch (err) {
      const mapped = mapOciError(err, ref, op, this.o.auth.kind);
      if (mapped instanceof NotFoundError) this.ids.delete(ref.path);
      throw mapped;
    }
  }

  private async findSecret(c: OciClients, ref: SecretRef): Promise<{ id: string; live: boolean } | undefined> {
    const cached = this.ids.get(ref.path);
    if (cached) return { id: cached, live: true };
    let page: string | undefined;
    let other: string | undefined;
    do {
      const res = await c.vaults.listSecrets({ compartmentId: this.o.compartmentId, vaultId: this.o.vaultId, name: ref.path, page });
      for (const s of res.items) {
        if (s.secretName !== ref.path) continue;
        if (LIVE.has(String(s.lifecycleState))) {
          this.ids.set(ref.path, s.id);
          return { id: s.id, live: true };
        }
        other = s.id;
      }
      page = res.opcNextPage;
    } while (page);
    return other ? { id: other, live: false } : undefined;
  }

  private async findLiveSecret(c: OciClients, ref: SecretRef): Promise<string | undefined> {
    const found = await this.findSecret(c, ref);
    return found?.live ? found.id : undefined;
  }

  private deletedSecret(ref: SecretRef): NotFoundError {
    return new NotFoundError(ref, 'the secret is being deleted in OCI; rotator never recreates a secret: cancel the deletion or use another name');
  }

  /** Creates the secret with the placeholder as its CURRENT version (OCI allows no other first stage). */
  private async createWithPlaceholder(c: OciClients, ref: SecretRef, token: string): Promise<string> {
    try {
      const res = await c.vaults.createSecret({
        // createSecret has a retry token: a retried create returns the secret the first one made
        opcRetryToken: createHash('sha256').update(`create\0${ref.path}\0${token}`).digest('hex').slice(0, 64),
        createSecretDetails: {
          compartmentId: this.o.compartmentId,
          vaultId: this.o.vaultId,
          keyId: this.o.keyId,
          secretName: ref.path,
          description: 'Rotated by rotator',
          secretContent: base64Content(PLACEHOLDER, 'CURRENT', BOOTSTRAP_VERSION),
        },
      });
      this.ids.set(ref.path, res.secret.id);
      await this.waitActive(c, ref, res.secret.id);
      return res.secret.id;
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      const found = await this.findSecret(c, ref); // another writer created it first
      if (found?.live) return found.id;
      throw found ? this.deletedSecret(ref) : err;
    }
  }

  /** The version named `name` (a token's version): its number if it holds `value`, Conflict if it holds another. */
  private async versionNamed(c: OciClients, ref: SecretRef, id: string, name: string, value: string): Promise<string | undefined> {
    // listed, not fetched by name: a name not yet written is the common case, not an error
    const v = (await this.versions(c, id)).find((x) => x.name === name);
    if (!v) return undefined;
    const bundle = await this.bundle(c, id, { versionNumber: v.versionNumber });
    if (!bundle) throw new ConflictError(ref, 'the idempotency token names a version that was discarded');
    if (!sameBytes(decodeBytes(ref, bundle), Buffer.from(value, 'utf8'))) {
      throw new ConflictError(ref, 'the idempotency token was already used with another value');
    }
    return String(bundle.versionNumber);
  }

  /** A bundle, or undefined when OCI has no such version (404). */
  private async bundle(
    c: OciClients,
    id: string,
    sel: Pick<secretRequests.GetSecretBundleRequest, 'stage' | 'versionNumber' | 'secretVersionName'>,
  ): Promise<Bundle | undefined> {
    try {
      return (await c.secrets.getSecretBundle({ secretId: id, ...sel })).secretBundle;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async versions(c: OciClients, id: string): Promise<VersionSummary[]> {
    const out: VersionSummary[] = [];
    let page: string | undefined;
    do {
      const req: vaultRequests.ListSecretVersionsRequest = { secretId: id, page };
      const res = await c.vaults.listSecretVersions(req);
      out.push(...res.items);
      page = res.opcNextPage;
    } while (page);
    return out;
  }

  /** Polls until the secret is ACTIVE (OCI refuses writes while it is CREATING/UPDATING); returns it with its etag. */
  private async waitActive(c: OciClients, ref: SecretRef, id: string): Promise<{ secret: vaultModels.Secret; etag?: string }> {
    const deadline = Date.now() + (this.o.settleTimeoutMs ?? 60_000);
    for (;;) {
      const res = await c.vaults.getSecret({ secretId: id });
      const state = String(res.secret.lifecycleState);
      if (state === 'ACTIVE') return { secret: res.secret, etag: res.etag };
      if (!SETTLING.has(state)) throw state === 'FAILED' ? new UnavailableError(ref, 'OCI reports the secret as FAILED') : this.deletedSecret(ref);
      if (Date.now() >= deadline) throw new UnavailableError(ref, `the secret is still ${state}; a retry will wait again`);
      await sleep(this.o.pollIntervalMs ?? 1000);
    }
  }
}

function base64Content(value: string, stage: 'CURRENT' | 'PENDING', name: string): vaultModels.Base64SecretContentDetails {
  return {
    contentType: vaultModels.Base64SecretContentDetails.contentType,
    content: Buffer.from(value, 'utf8').toString('base64'),
    name,
    stage: stage === 'PENDING' ? vaultModels.SecretContentDetails.Stage.Pending : vaultModels.SecretContentDetails.Stage.Current,
  };
}

function decodeBytes(ref: SecretRef, b: Bundle): Buffer {
  const content = b.secretBundleContent;
  if (content?.contentType !== 'BASE64' || typeof content.content !== 'string') {
    throw new InvalidValueError(ref, 'OCI returned secret content that is not BASE64');
  }
  return Buffer.from(content.content, 'base64');
}

const decode = (ref: SecretRef, b: Bundle): string => decodeBytes(ref, b).toString('utf8');

/** Compares without leaking, through timing, where two values differ. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  const h = (x: Buffer) => createHash('sha256').update(x).digest();
  return timingSafeEqual(h(a), h(b)) && a.length === b.length;
}

const isMarker = (name: string | undefined): boolean => name === BOOTSTRAP_VERSION || !!name?.startsWith(DISCARDED_PREFIX);
const hasStage = (v: VersionSummary, s: string): boolean => (v.stages ?? []).some((x) => String(x) === s);
const isDeprecated = (v: VersionSummary): boolean => !hasStage(v, 'CURRENT') && !hasStage(v, 'PENDING') && !hasStage(v, 'PREVIOUS');

/** The pending version in our sense: the newest PENDING one, unless it is a tombstone. */
function effectivePending(versions: VersionSummary[]): VersionSummary | undefined {
  const newest = versions.filter((v) => hasStage(v, 'PENDING')).sort((a, b) => b.versionNumber - a.versionNumber)[0];
  return newest && !isMarker(newest.name) ? newest : undefined;
}

function stagesOf(v: VersionSummary, pending: VersionSummary | undefined): Stage[] {
  const out: Stage[] = [];
  if (hasStage(v, 'CURRENT')) out.push('current');
  if (hasStage(v, 'PREVIOUS')) out.push('previous');
  if (pending?.versionNumber === v.versionNumber) out.push('pending');
  return out;
}

function versionNumberOf(versionId: string): number | undefined {
  return /^[1-9][0-9]{0,14}$/.test(versionId) ? Number(versionId) : undefined;
}

function iso(t: Date | string | undefined): string | undefined {
  if (t === undefined) return undefined;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function raise(err: Error): never {
  throw err;
}

/** The HTTP status of an SDK error; undefined for network and client-side failures. */
function statusOf(err: unknown): number | undefined {
  const s = err && typeof err === 'object' && 'statusCode' in err ? Number((err as { statusCode: unknown }).statusCode) : NaN;
  return Number.isInteger(s) && s > 0 ? s : undefined;
}

/**
 * Maps an SDK failure to a typed store error with a message of our own: OCI's message is
 * never echoed (it can quote what it was sent).
 */
export function mapOciError(err: unknown, ref: SecretRef, op: string, auth: OciAuth['kind']): StoreError {
  if (err instanceof StoreError) return err;
  const status = statusOf(err);
  if (status === undefined) return new UnavailableError(ref, `could not reach OCI Vault to ${op}`);
  if (status === 401) return new AccessDeniedError(ref, `OCI did not accept our request signature (401) to ${op}: check ${AUTH_HINT[auth]}`);
  if (status === 403) {
    return new AccessDeniedError(ref, `not allowed to ${op} (403): the caller needs both "read secret-family" and "use keys" on the compartment ("manage secret-family" to write)`);
  }
  if (status === 404) return new NotFoundError(ref, `OCI found nothing to ${op} (404): check the vault and secret OCIDs and the compartment (OCI also answers 404 when the caller may not see them)`);
  if (status === 409 || status === 412) return new ConflictError(ref, `another change to the secret got there first (${status}) while trying to ${op}`);
  if (status === 429) return new ThrottledError(ref, `OCI Vault is throttling requests (429); retry with backoff`);
  if (status >= 500) return new UnavailableError(ref, `OCI Vault failed on its side (${status}) while trying to ${op}`);
  return new InvalidValueError(ref, `OCI Vault refused the request to ${op} as malformed (${status})`);
}
