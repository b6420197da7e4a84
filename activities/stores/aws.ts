/**
 * AWS Secrets Manager adapter: the staged-version model maps one to one onto the staging
 * labels AWSPENDING / AWSCURRENT / AWSPREVIOUS, and version ids are our idempotency tokens
 * (`ClientRequestToken`), so a retried write lands on the same version.
 *
 * Checked against moto, and written so that what moto lets through AWS would refuse too:
 * - reads always name a `VersionStage` or `VersionId` (moto answers an unqualified read
 *   with the version that was current when it was *written*, not the one labelled now);
 * - token reuse with other content is checked here, before writing (moto overwrites a
 *   version that still carries AWSPENDING, where AWS refuses).
 */
import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  AccessDeniedError,
  ConflictError,
  InvalidValueError,
  NotFoundError,
  type StoreError,
  ThrottledError,
  UnavailableError,
} from './errors';
import type { SecretDescription, SecretRef, SecretStore, SecretVersion, Stage, VersionSelector } from './types';

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';

const LABELS: Record<Stage, string> = { current: CURRENT, previous: PREVIOUS, pending: PENDING };
const STAGES: Record<string, Stage | undefined> = { [CURRENT]: 'current', [PREVIOUS]: 'previous', [PENDING]: 'pending' };

/** What the adapter needs of an SDK client: `send` only, so tests and callers can wrap it. */
export type SecretsManagerSend = Pick<SecretsManagerClient, 'send'>;

/** Constructor options of {@link AwsSecretsManagerStore}. */
export interface AwsSecretsManagerStoreOptions {
  /** The store's name in the inventory. */
  name: string;
  client: SecretsManagerSend;
}

/** Options of {@link createAwsSecretsManagerClient}. */
export interface AwsClientOptions {
  region: string;
  /** A local emulator's address; omitted for AWS itself. */
  endpoint?: string;
  /** Omitted: the SDK's default provider chain. */
  credentials?: SecretsManagerClientConfig['credentials'];
}

/** An SDK client that makes exactly one attempt per call: Temporal's retry policy is the only retry. */
export function createAwsSecretsManagerClient(o: AwsClientOptions): SecretsManagerClient {
  return new SecretsManagerClient({ region: o.region, endpoint: o.endpoint, credentials: o.credentials, maxAttempts: 1 });
}

/**
 * The version id for an idempotency token. AWS wants 32–64 characters; a token that does
 * not fit is replaced by its sha256, so the same token always names the same version.
 */
export function awsVersionIdFor(token: string): string {
  if (/^[A-Za-z0-9_-]{32,64}$/.test(token)) return token;
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

type Labels = Record<string, string[]>;

/** SecretStore over AWS Secrets Manager (or moto). */
export class AwsSecretsManagerStore implements SecretStore {
  readonly name: string;
  private readonly client: SecretsManagerSend;

  constructor(o: AwsSecretsManagerStoreOptions) {
    this.name = o.name;
    this.client = o.client;
  }

  async putPending(ref: SecretRef, value: string, idempotencyToken: string): Promise<string> {
    const versionId = awsVersionIdFor(idempotencyToken);
    // Decide idempotency ourselves: moto would overwrite a pending version reused with other content.
    const existing = await this.readIfExists(ref, versionId);
    if (existing !== undefined) {
      if (existing === value) return versionId;
      throw new ConflictError(ref, `idempotency token already used for version ${versionId} with other content`);
    }
    // AWS answers a token reused with other content with ResourceExistsException: Conflict.
    const put = () =>
      this.call(ref, 'PutSecretValue', () =>
        this.client.send(new PutSecretValueCommand({ SecretId: ref.path, SecretString: value, ClientRequestToken: versionId, VersionStages: [PENDING] })),
      );
    try {
      await put();
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await this.createEmpty(ref);
      await put();
    }
    return versionId;
  }

  async getVersion(ref: SecretRef, which: VersionSelector): Promise<SecretVersion> {
    // Always name a stage or a version: moto's unqualified read does not follow AWSCURRENT.
    const selector = typeof which === 'string' ? { VersionStage: LABELS[which] } : { VersionId: which.versionId };
    const out = await this.call(ref, 'GetSecretValue', () => this.client.send(new GetSecretValueCommand({ SecretId: ref.path, ...selector })));
    if (!out.VersionId) throw new UnavailableError(ref, 'GetSecretValue returned no version id');
    return { versionId: out.VersionId, value: secretString(ref, out.SecretString, out.SecretBinary) };
  }

  async promote(ref: SecretRef, versionId: string): Promise<void> {
    const labels = await this.labels(ref);
    const target = labels[versionId] ?? (await this.requireVersion(ref, versionId));
    if (!target.includes(CURRENT)) {
      // Only a pending version (forward) or the previous one (rollback) may become current;
      // anything else was replaced or discarded by another writer meanwhile.
      if (!target.includes(PENDING) && !target.includes(PREVIOUS)) throw new ConflictError(ref, `version ${versionId} is no longer pending`);
      const current = holderOf(labels, CURRENT);
      try {
        // Moving AWSCURRENT moves AWSPREVIOUS to the version it left (AWS and moto both do).
        await this.call(ref, 'UpdateSecretVersionStage', () =>
          this.client.send(new UpdateSecretVersionStageCommand({ SecretId: ref.path, VersionStage: CURRENT, MoveToVersionId: versionId, RemoveFromVersionId: current })),
        );
      } catch (err) {
        // RemoveFromVersionId is our compare-and-swap: refused when current moved meanwhile.
        const now = await this.labels(ref).catch(() => undefined);
        const holder = now && holderOf(now, CURRENT);
        if (holder === versionId) return this.promote(ref, versionId); // a twin run of this promote won; finish its cleanup
        if (now && holder !== current) throw new ConflictError(ref, `current version changed while promoting ${versionId}`);
        throw err;
      }
    }
    if (target.includes(PENDING)) await this.removePending(ref, versionId);
  }

  async discardPending(ref: SecretRef, versionId: string): Promise<void> {
    let labels: Labels;
    try {
      labels = await this.labels(ref);
    } catch (err) {
      if (err instanceof NotFoundError) return; // nothing was ever written, so nothing is pending
      throw err;
    }
    if (labels[versionId]?.includes(PENDING)) await this.removePending(ref, versionId);
  }

  async describe(ref: SecretRef): Promise<SecretDescription> {
    let out: DescribeSecretCommandOutput;
    try {
      out = await this.call(ref, 'DescribeSecret', () => this.client.send(new DescribeSecretCommand({ SecretId: ref.path })));
    } catch (err) {
      if (err instanceof NotFoundError) return { ref, exists: false, versions: [] };
      throw err;
    }
    const versions = Object.entries(out.VersionIdsToStages ?? {})
      .map(([versionId, labels]) => ({ versionId, stages: labels.map((l) => STAGES[l]).filter((s): s is Stage => s !== undefined) }))
      // Unlabelled versions are deprecated: AWS drops them from DescribeSecret, moto keeps them.
      .filter((v) => v.stages.length > 0);
    return { ref, exists: out.DeletedDate === undefined, versions, lastChangedAt: out.LastChangedDate?.toISOString() };
  }

  /** The value of `versionId`, or undefined when that version (or the secret) does not exist. */
  private async readIfExists(ref: SecretRef, versionId: string): Promise<string | undefined> {
    try {
      return (await this.getVersion(ref, { versionId })).value;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** Staging labels per version; NotFound when the secret does not exist. */
  private async labels(ref: SecretRef): Promise<Labels> {
    const out = await this.call(ref, 'DescribeSecret', () => this.client.send(new DescribeSecretCommand({ SecretId: ref.path })));
    return out.VersionIdsToStages ?? {};
  }

  /**
   * Labels of a version DescribeSecret did not list. AWS leaves unlabelled (deprecated)
   * versions out of it, so ask again including them to tell "replaced" from "never existed".
   */
  private async requireVersion(ref: SecretRef, versionId: string): Promise<string[]> {
    let NextToken: string | undefined;
    do {
      const token = NextToken;
      const out = await this.call(ref, 'ListSecretVersionIds', () =>
        this.client.send(new ListSecretVersionIdsCommand({ SecretId: ref.path, IncludeDeprecated: true, NextToken: token })),
      );
      const found = out.Versions?.find((v) => v.VersionId === versionId);
      if (found) return found.VersionStages ?? [];
      NextToken = out.NextToken || undefined;
    } while (NextToken);
    throw new NotFoundError(ref, `version ${versionId} does not exist`);
  }

  private async removePending(ref: SecretRef, versionId: string): Promise<void> {
    try {
      await this.call(ref, 'UpdateSecretVersionStage', () =>
        this.client.send(new UpdateSecretVersionStageCommand({ SecretId: ref.path, VersionStage: PENDING, RemoveFromVersionId: versionId })),
      );
    } catch (err) {
      // Another run removed it first (a retried promote or discard): the outcome we wanted.
      const now = await this.labels(ref).catch(() => undefined);
      if (!now || now[versionId]?.includes(PENDING)) throw err;
    }
  }

  /**
   * Creates the secret with no value, so no version exists until our pending one. AWS (and
   * moto) still label a secret's first version AWSCURRENT whatever VersionStages says, so a
   * bootstrap value is current at once; AWS offers no way to hold it back.
   */
  private async createEmpty(ref: SecretRef): Promise<void> {
    try {
      await this.call(ref, 'CreateSecret', () => this.client.send(new CreateSecretCommand({ Name: ref.path })));
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // a concurrent first write created it: fine
    }
  }

  /** Runs one SDK call, turning its failures into typed store errors that never quote AWS's message. */
  private async call<T>(ref: SecretRef, op: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw mapAwsError(ref, op, err);
    }
  }
}

function holderOf(labels: Labels, label: string): string | undefined {
  return Object.keys(labels).find((id) => labels[id].includes(label));
}

function secretString(ref: SecretRef, s: string | undefined, b: Uint8Array | undefined): string {
  if (s !== undefined) return s;
  if (b !== undefined) return Buffer.from(b).toString('utf8');
  throw new InvalidValueError(ref, 'version holds no value');
}

function errorName(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string' ? (err as { name: string }).name : '';
}

function httpStatus(err: unknown): number | undefined {
  const meta = typeof err === 'object' && err !== null ? (err as { $metadata?: { httpStatusCode?: number } }).$metadata : undefined;
  return meta?.httpStatusCode;
}

const BY_NAME: Record<string, (ref: SecretRef | undefined, message: string) => StoreError> = {
  ResourceNotFoundException: (r, m) => new NotFoundError(r, m),
  AccessDeniedException: (r, m) => new AccessDeniedError(r, m),
  UnrecognizedClientException: (r, m) => new AccessDeniedError(r, m),
  InvalidSignatureException: (r, m) => new AccessDeniedError(r, m),
  ExpiredTokenException: (r, m) => new AccessDeniedError(r, m),
  DecryptionFailure: (r, m) => new AccessDeniedError(r, m), // the KMS key refused us
  ThrottlingException: (r, m) => new ThrottledError(r, m),
  TooManyRequestsException: (r, m) => new ThrottledError(r, m),
  InvalidParameterException: (r, m) => new InvalidValueError(r, m),
  InvalidRequestException: (r, m) => new InvalidValueError(r, m),
  ValidationException: (r, m) => new InvalidValueError(r, m),
  ResourceExistsException: (r, m) => new ConflictError(r, m),
  InternalServiceError: (r, m) => new UnavailableError(r, m),
  ServiceUnavailableException: (r, m) => new UnavailableError(r, m),
};

/**
 * Maps an SDK or network failure to a typed store error by its `name` and HTTP status. The
 * message names the operation and the error code only: AWS's own message can echo input.
 */
export function mapAwsError(ref: SecretRef | undefined, op: string, err: unknown): StoreError {
  const name = errorName(err);
  const status = httpStatus(err);
  const message = `${op} failed: ${name || 'error'}${status ? ` (HTTP ${status})` : ''}`;
  const byName = BY_NAME[name];
  if (byName) return byName(ref, message);
  if (status === 401 || status === 403) return new AccessDeniedError(ref, message);
  if (status === 429) return new ThrottledError(ref, message);
  if (status !== undefined && status >= 400 && status < 500) return new InvalidValueError(ref, message);
  // No status (connection refused, reset, timeout) or 5xx: the service is not answering well.
  return new UnavailableError(ref, message);
}
