/**
 * OCI Vault has no local server, so this one stands in for it in tests. It is NOT OCI: it
 * implements only the handful of Secrets (20190301) and Vault (20180608) endpoints the
 * adapter calls, and it checks what the real service checks on them:
 * - every request carries a valid OCI HTTP signature (draft-cavage, `Signature version="1"`)
 *   made with a registered API key: known keyId, rsa-sha256, the required headers signed,
 *   `x-content-sha256` equal to the body's sha256, a date within 5 minutes; otherwise 401;
 * - payload shapes: secret content is BASE64 (PLAIN is refused with 400), names use OCI's
 *   character set, version names are unique, `createSecret` takes only a CURRENT first version,
 *   `If-Match` etags are honoured (412), a secret that is still UPDATING refuses writes (409),
 *   only DEPRECATED versions can be scheduled for deletion, 1 to 30 days ahead;
 * - versions and stages as OCI keeps them: a new PENDING version replaces the old PENDING,
 *   `currentVersionNumber` moves CURRENT and makes the old one PREVIOUS, LATEST marks the
 *   newest, a version that is none of CURRENT/PENDING/PREVIOUS is DEPRECATED.
 * Faults can be injected: a status for the next N requests, a status for one principal, a
 * read-only principal (403 on writes), a write that is applied but whose answer is lost, or
 * another writer's change slipped in just before a write.
 */
import { createHash, createPublicKey, createSign, randomBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A service message the fake puts in every error body; adapters must never echo it. */
export const SERVICE_MESSAGE_SENTINEL = 'fake-oci-service-detail';

const NAME_CHARS = /^[A-Za-z0-9._-]+$/;
const MAX_SKEW_MS = 5 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

type OciStage = 'CURRENT' | 'PENDING' | 'LATEST' | 'PREVIOUS' | 'DEPRECATED';
type Lifecycle = 'CREATING' | 'ACTIVE' | 'UPDATING';

/** An API key the server accepts, and what its principal may do. */
export interface FakePrincipal {
  tenancy: string;
  user: string;
  fingerprint: string;
  /** PEM or KeyObject of the key's public half. */
  publicKey: string | KeyObject;
  /** Reads work, writes answer 403 (a policy with "read secret-family" only). */
  readOnly?: boolean;
  /** Every request by this principal answers this status (e.g. 429). */
  fault?: number;
}

/**
 * A fault to inject: answer `status` to the next `count` requests; apply the next write and
 * drop the connection (a lost answer); or run another writer's change just before the next write.
 */
export type FakeFault = { status: number; count?: number } | { dropNextWriteResponse: true } | { beforeNextWrite: () => Promise<void> };

interface FakeVersion {
  versionNumber: number;
  name?: string;
  content: string;
  stages: Set<OciStage>;
  timeCreated: Date;
  timeOfDeletion?: Date;
}

/** One secret as the fake keeps it. */
export interface FakeSecret {
  id: string;
  compartmentId: string;
  vaultId: string;
  keyId: string;
  secretName: string;
  description?: string;
  lifecycleState: Lifecycle;
  /** When CREATING/UPDATING after the last write turns ACTIVE (epoch ms). */
  activeAt: number;
  etag: string;
  timeCreated: Date;
  currentVersionNumber: number;
  versions: FakeVersion[];
}

/** What the server saw of one request (never the secret content). */
export interface SeenRequest {
  method: string;
  path: string;
  keyId?: string;
  status: number;
  /** `secretContent.contentType` of a create/update, when it carried content. */
  contentType?: string;
}

/** Options of {@link startFakeOciServer}. */
export interface FakeOciServerOptions {
  /** How long a secret stays CREATING/UPDATING after each write, as OCI's asynchronous updates do (default 25 ms). */
  settleMs?: number;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string) {
    super(code);
  }
}

/** The running fake; `url` is both the Secrets and the Vault endpoint. */
export class FakeOciServer {
  readonly secrets = new Map<string, FakeSecret>();
  readonly seen: SeenRequest[] = [];
  private readonly principals = new Map<string, FakePrincipal & { key: KeyObject }>();
  private readonly faults: FakeFault[] = [];
  private readonly retryTokens = new Map<string, { bodyHash: string; secretId: string }>();
  url = '';

  constructor(private readonly server: Server, private readonly opts: Required<FakeOciServerOptions>) {}

  /** Accepts requests signed with this key from now on. */
  registerPrincipal(p: FakePrincipal): string {
    const keyId = `${p.tenancy}/${p.user}/${p.fingerprint}`;
    this.principals.set(keyId, { ...p, key: typeof p.publicKey === 'string' ? createPublicKey(p.publicKey) : p.publicKey });
    return keyId;
  }

  /** Queues a fault for the coming requests. */
  inject(f: FakeFault): void {
    this.faults.push('status' in f ? { count: 1, ...f } : f);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** What a consumer reading the CURRENT stage of `secretName` gets right now. */
  currentValue(vaultId: string, secretName: string): string | undefined {
    const s = [...this.secrets.values()].find((x) => x.vaultId === vaultId && x.secretName === secretName);
    const v = s?.versions.find((x) => x.stages.has('CURRENT'));
    return v ? Buffer.from(v.content, 'base64').toString('utf8') : undefined;
  }

  /** The secret named `secretName` in `vaultId`, as the server holds it. */
  secretNamed(vaultId: string, secretName: string): FakeSecret | undefined {
    return [...this.secrets.values()].find((x) => x.vaultId === vaultId && x.secretName === secretName);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.closeAllConnections();
      this.server.close((err) => (err ? reject(err) : resolve()));
    });
  }

  /** The request handler (public for the server wiring only). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const record: SeenRequest = { method, path: rawUrl.split('?')[0], status: 0 };
    this.seen.push(record);
    let dropAfterWrite = false;
    try {
      const body = await readBody(req);
      const principal = this.authenticate(req, method, rawUrl, body);
      record.keyId = `${principal.tenancy}/${principal.user}/${principal.fingerprint}`;
      if (principal.fault) throw new HttpError(principal.fault, codeFor(principal.fault));
      const fault = this.faults[0];
      if (fault && 'status' in fault) {
        if (--fault.count! <= 0) this.faults.shift();
        throw new HttpError(fault.status, codeFor(fault.status));
      }
      const write = method !== 'GET';
      if (write && principal.readOnly) throw new HttpError(403, 'NotAuthorized');
      if (write && fault && 'dropNextWriteResponse' in fault) {
        this.faults.shift();
        dropAfterWrite = true;
      }
      if (write && fault && 'beforeNextWrite' in fault) {
        this.faults.shift();
        await fault.beforeNextWrite();
      }
      const url = new URL(rawUrl, 'http://fake');
      const parsed = body.length ? parseJson(body) : undefined;
      const { status, json, etag } = this.route(method, url, parsed, req, record);
      if (dropAfterWrite) {
        // the write happened; the caller never hears about it (a crash or a lost answer)
        req.socket.destroy();
        return;
      }
      record.status = status;
      const headers: Record<string, string> = { 'content-type': 'application/json', 'opc-request-id': randomBytes(8).toString('hex') };
      if (etag) headers.etag = etag;
      res.writeHead(status, headers).end(JSON.stringify(json));
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'InternalServerError');
      record.status = e.status;
      res
        .writeHead(e.status, { 'content-type': 'application/json', 'opc-request-id': randomBytes(8).toString('hex') })
        .end(JSON.stringify({ code: e.code, message: `${SERVICE_MESSAGE_SENTINEL}: ${e.code}` }));
    }
  }

  /** Verifies the OCI request signature; throws 401 on anything short of a valid one. */
  private authenticate(req: IncomingMessage, method: string, rawUrl: string, body: Buffer): FakePrincipal {
    const deny = () => new HttpError(401, 'NotAuthenticated');
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Signature ')) throw deny();
    const params = parseSignatureParams(auth.slice('Signature '.length));
    if (params.version !== '1' || params.algorithm !== 'rsa-sha256' || !params.keyId || !params.headers || !params.signature) throw deny();
    const principal = this.principals.get(params.keyId);
    if (!principal) throw deny();
    const signed = params.headers.toLowerCase().split(' ').filter(Boolean);
    const required = ['(request-target)', 'host'];
    if (BODY_METHODS.has(method)) required.push('content-type', 'content-length', 'x-content-sha256');
    if (!required.every((h) => signed.includes(h))) throw deny();
    const dateHeader = signed.includes('x-date') ? 'x-date' : signed.includes('date') ? 'date' : undefined;
    if (!dateHeader) throw deny();
    const when = Date.parse(String(req.headers[dateHeader]));
    if (!Number.isFinite(when) || Math.abs(Date.now() - when) > MAX_SKEW_MS) throw deny();
    if (BODY_METHODS.has(method)) {
      if (req.headers['x-content-sha256'] !== createHash('sha256').update(body).digest('base64')) throw deny();
      if (Number(req.headers['content-length']) !== body.length) throw deny();
    }
    const lines: string[] = [];
    for (const h of signed) {
      if (h === '(request-target)') lines.push(`(request-target): ${method.toLowerCase()} ${rawUrl}`);
      else {
        const v = req.headers[h];
        if (v === undefined) throw deny();
        lines.push(`${h}: ${Array.isArray(v) ? v.join(', ') : v}`);
      }
    }
    const ok = verifySignature('sha256', Buffer.from(lines.join('\n')), principal.key, Buffer.from(params.signature, 'base64'));
    if (!ok) throw deny();
    return principal;
  }

  private route(method: string, url: URL, body: unknown, req: IncomingMessage, record: SeenRequest): { status: number; json: unknown; etag?: string } {
    const p = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const q = url.searchParams;
    if (p[0] === '20190301' && p[1] === 'secretbundles' && p.length === 3 && method === 'GET') return { status: 200, json: this.getBundle(p[2], q) };
    if (p[0] !== '20180608' || p[1] !== 'secrets') throw new HttpError(404, 'NotAuthorizedOrNotFound');
    if (p.length === 2 && method === 'POST') return this.createSecret(body, req, record);
    if (p.length === 2 && method === 'GET') return { status: 200, json: this.listSecrets(q) };
    const s = this.secret(p[2]);
    if (p.length === 3 && method === 'GET') return { status: 200, json: this.secretJson(s), etag: s.etag };
    if (p.length === 3 && method === 'PUT') return this.updateSecret(s, body, req, record);
    if (p.length === 4 && p[3] === 'versions' && method === 'GET') return { status: 200, json: this.listVersions(s, q) };
    if (p.length === 7 && p[3] === 'version' && p[5] === 'actions' && p[6] === 'scheduleDeletion' && method === 'POST') {
      return this.scheduleVersionDeletion(s, Number(p[4]), body, req);
    }
    throw new HttpError(404, 'NotAuthorizedOrNotFound');
  }

  private secret(id: string): FakeSecret {
    const s = this.secrets.get(id);
    if (!s) throw new HttpError(404, 'NotAuthorizedOrNotFound');
    return s;
  }

  private getBundle(id: string, q: URLSearchParams) {
    const s = this.secret(id);
    const live = s.versions.filter((v) => !v.timeOfDeletion);
    let v: FakeVersion | undefined;
    if (q.has('versionNumber')) v = live.find((x) => x.versionNumber === Number(q.get('versionNumber')));
    else if (q.has('secretVersionName')) v = live.find((x) => x.name === q.get('secretVersionName'));
    else {
      const stage = (q.get('stage') ?? 'CURRENT') as OciStage;
      v = live.filter((x) => x.stages.has(stage)).sort((a, b) => b.versionNumber - a.versionNumber)[0];
    }
    if (!v) throw new HttpError(404, 'NotAuthorizedOrNotFound');
    return {
      secretId: s.id,
      versionNumber: v.versionNumber,
      versionName: v.name,
      timeCreated: v.timeCreated.toISOString(),
      stages: stagesOf(v),
      secretBundleContent: { contentType: 'BASE64', content: v.content },
    };
  }

  private createSecret(body: unknown, req: IncomingMessage, record: SeenRequest) {
    const d = asObject(body);
    const token = header(req, 'opc-retry-token');
    const bodyHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    if (token) {
      const prior = this.retryTokens.get(token);
      if (prior && prior.bodyHash !== bodyHash) throw new HttpError(409, 'IdempotencyConflict');
      if (prior) {
        const s = this.secret(prior.secretId);
        return { status: 200, json: this.secretJson(s), etag: s.etag };
      }
    }
    for (const f of ['compartmentId', 'vaultId', 'keyId', 'secretName'] as const) if (typeof d[f] !== 'string' || !d[f]) throw new HttpError(400, 'InvalidParameter');
    const name = String(d.secretName);
    if (!NAME_CHARS.test(name)) throw new HttpError(400, 'InvalidParameter');
    const content = secretContent(d.secretContent, record);
    if (!content) throw new HttpError(400, 'InvalidParameter');
    // OCI: "When creating a secret, only the value CURRENT is applicable."
    if (content.stage !== 'CURRENT') throw new HttpError(400, 'InvalidParameter');
    if ([...this.secrets.values()].some((s) => s.vaultId === d.vaultId && s.secretName === name)) throw new HttpError(409, 'Conflict');
    const now = new Date();
    const s: FakeSecret = {
      id: `ocid1.vaultsecret.oc1.fake.${randomBytes(16).toString('hex')}`,
      compartmentId: String(d.compartmentId),
      vaultId: String(d.vaultId),
      keyId: String(d.keyId),
      secretName: name,
      description: typeof d.description === 'string' ? d.description : undefined,
      lifecycleState: 'CREATING',
      activeAt: Date.now() + this.opts.settleMs,
      etag: randomBytes(8).toString('hex'),
      timeCreated: now,
      currentVersionNumber: 1,
      versions: [{ versionNumber: 1, name: content.name, content: content.content, stages: new Set(['CURRENT', 'LATEST']), timeCreated: now }],
    };
    this.secrets.set(s.id, s);
    if (token) this.retryTokens.set(token, { bodyHash, secretId: s.id });
    return { status: 200, json: this.secretJson(s), etag: s.etag };
  }

  private updateSecret(s: FakeSecret, body: unknown, req: IncomingMessage, record: SeenRequest) {
    const ifMatch = header(req, 'if-match');
    if (ifMatch && ifMatch !== s.etag) throw new HttpError(412, 'NoEtagMatch');
    if (this.lifecycle(s) !== 'ACTIVE') throw new HttpError(409, 'IncorrectState');
    const d = asObject(body);
    const content = d.secretContent === undefined ? undefined : secretContent(d.secretContent, record);
    const target = d.currentVersionNumber;
    if (content && target !== undefined) throw new HttpError(400, 'InvalidParameter');
    if (content) {
      if (content.name && s.versions.some((v) => v.name === content.name)) throw new HttpError(409, 'Conflict');
      const v: FakeVersion = { versionNumber: s.versions.length + 1, name: content.name, content: content.content, stages: new Set(['LATEST']), timeCreated: new Date() };
      for (const o of s.versions) o.stages.delete('LATEST');
      if (content.stage === 'PENDING') {
        for (const o of s.versions) o.stages.delete('PENDING');
        v.stages.add('PENDING');
        s.versions.push(v);
      } else {
        s.versions.push(v);
        this.makeCurrent(s, v);
      }
    } else if (target !== undefined) {
      if (typeof target !== 'number' || !Number.isInteger(target)) throw new HttpError(400, 'InvalidParameter');
      const v = s.versions.find((x) => x.versionNumber === target);
      if (!v) throw new HttpError(404, 'NotAuthorizedOrNotFound');
      if (v.timeOfDeletion) throw new HttpError(409, 'IncorrectState');
      if (target !== s.currentVersionNumber) this.makeCurrent(s, v);
    } else if (d.description === undefined && d.metadata === undefined) {
      throw new HttpError(400, 'InvalidParameter');
    }
    if (typeof d.description === 'string') s.description = d.description;
    deprecateUnused(s);
    s.etag = randomBytes(8).toString('hex');
    s.lifecycleState = 'UPDATING';
    s.activeAt = Date.now() + this.opts.settleMs;
    return { status: 200, json: this.secretJson(s), etag: s.etag };
  }

  private makeCurrent(s: FakeSecret, v: FakeVersion): void {
    for (const o of s.versions) o.stages.delete('PREVIOUS');
    const old = s.versions.find((o) => o.stages.has('CURRENT'));
    if (old && old !== v) {
      old.stages.delete('CURRENT');
      old.stages.add('PREVIOUS');
    }
    v.stages.delete('PENDING');
    v.stages.add('CURRENT');
    s.currentVersionNumber = v.versionNumber;
  }

  private scheduleVersionDeletion(s: FakeSecret, n: number, body: unknown, req: IncomingMessage) {
    const ifMatch = header(req, 'if-match');
    if (ifMatch && ifMatch !== s.etag) throw new HttpError(412, 'NoEtagMatch');
    const v = s.versions.find((x) => x.versionNumber === n);
    if (!v) throw new HttpError(404, 'NotAuthorizedOrNotFound');
    // OCI: "Only secret versions marked DEPRECATED can be scheduled for deletion."
    if (!v.stages.has('DEPRECATED') || v.timeOfDeletion) throw new HttpError(409, 'IncorrectState');
    const when = Date.parse(String(asObject(body).timeOfDeletion));
    if (!Number.isFinite(when) || when < Date.now() + DAY_MS - 60_000 || when > Date.now() + 30 * DAY_MS) throw new HttpError(400, 'InvalidParameter');
    v.timeOfDeletion = new Date(when);
    return { status: 200, json: {}, etag: s.etag };
  }

  private listSecrets(q: URLSearchParams) {
    const compartmentId = q.get('compartmentId');
    if (!compartmentId) throw new HttpError(400, 'InvalidParameter');
    const items = [...this.secrets.values()].filter(
      (s) => s.compartmentId === compartmentId && (!q.get('vaultId') || s.vaultId === q.get('vaultId')) && (!q.get('name') || s.secretName === q.get('name')),
    );
    return items.map((s) => this.secretJson(s));
  }

  private listVersions(s: FakeSecret, q: URLSearchParams) {
    const sorted = [...s.versions].sort((a, b) => a.versionNumber - b.versionNumber);
    if (q.get('sortOrder') === 'DESC') sorted.reverse();
    return sorted.map((v) => ({
      secretId: s.id,
      versionNumber: v.versionNumber,
      name: v.name,
      contentType: 'BASE64',
      stages: stagesOf(v),
      timeCreated: v.timeCreated.toISOString(),
      timeOfDeletion: v.timeOfDeletion?.toISOString(),
    }));
  }

  private lifecycle(s: FakeSecret): Lifecycle {
    if (s.lifecycleState !== 'ACTIVE' && Date.now() >= s.activeAt) s.lifecycleState = 'ACTIVE';
    return s.lifecycleState;
  }

  private secretJson(s: FakeSecret) {
    return {
      id: s.id,
      compartmentId: s.compartmentId,
      vaultId: s.vaultId,
      keyId: s.keyId,
      secretName: s.secretName,
      description: s.description,
      lifecycleState: this.lifecycle(s),
      currentVersionNumber: s.currentVersionNumber,
      timeCreated: s.timeCreated.toISOString(),
      freeformTags: {},
      definedTags: {},
    };
  }
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startFakeOciServer(opts: FakeOciServerOptions = {}): Promise<FakeOciServer> {
  const server = createServer();
  const fake = new FakeOciServer(server, { settleMs: opts.settleMs ?? 25 });
  server.on('request', (req, res) => void fake.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** What a test needs to sign a raw request like the OCI SDK does. */
export interface RawSignOptions {
  method: string;
  url: string;
  keyId: string;
  privateKey: string | KeyObject;
  body?: string;
  /** Overrides the date header (to test clock skew). */
  date?: Date;
}

/**
 * Signs a request the way OCI specifies (independently of the SDK), so a test can send one
 * by hand and then tamper with it.
 */
export function signOciRequest(o: RawSignOptions): Record<string, string> {
  const u = new URL(o.url);
  const method = o.method.toUpperCase();
  const headers: Record<string, string> = { host: u.host, 'x-date': (o.date ?? new Date()).toUTCString() };
  const names = ['x-date', '(request-target)', 'host'];
  if (BODY_METHODS.has(method)) {
    const body = Buffer.from(o.body ?? '');
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
    headers['x-content-sha256'] = createHash('sha256').update(body).digest('base64');
    names.push('content-type', 'content-length', 'x-content-sha256');
  }
  const target = `${method.toLowerCase()} ${u.pathname}${u.search}`;
  const signingString = names.map((h) => (h === '(request-target)' ? `(request-target): ${target}` : `${h}: ${headers[h]}`)).join('\n');
  const signature = createSign('RSA-SHA256').update(signingString).sign(o.privateKey, 'base64');
  headers.authorization = `Signature version="1",keyId="${o.keyId}",algorithm="rsa-sha256",headers="${names.join(' ')}",signature="${signature}"`;
  return headers;
}

function stagesOf(v: FakeVersion): OciStage[] {
  const order: OciStage[] = ['CURRENT', 'PENDING', 'PREVIOUS', 'LATEST', 'DEPRECATED'];
  return order.filter((s) => v.stages.has(s));
}

function deprecateUnused(s: FakeSecret): void {
  for (const v of s.versions) {
    const inUse = v.stages.has('CURRENT') || v.stages.has('PENDING') || v.stages.has('PREVIOUS');
    if (inUse) v.stages.delete('DEPRECATED');
    else v.stages.add('DEPRECATED');
  }
}

/** Validates `secretContent` as OCI does; records its content type. */
function secretContent(raw: unknown, record: SeenRequest): { content: string; name?: string; stage: 'CURRENT' | 'PENDING' } | undefined {
  if (raw === undefined) return undefined;
  const c = asObject(raw);
  record.contentType = String(c.contentType);
  if (c.contentType !== 'BASE64') throw new HttpError(400, 'InvalidParameter');
  if (typeof c.content !== 'string' || !c.content || !/^[A-Za-z0-9+/]+={0,2}$/.test(c.content)) throw new HttpError(400, 'InvalidParameter');
  if (c.name !== undefined && (typeof c.name !== 'string' || !NAME_CHARS.test(c.name))) throw new HttpError(400, 'InvalidParameter');
  const stage = c.stage ?? 'CURRENT';
  if (stage !== 'CURRENT' && stage !== 'PENDING') throw new HttpError(400, 'InvalidParameter');
  return { content: c.content, name: c.name as string | undefined, stage };
}

function parseSignatureParams(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([a-zA-Z]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function asObject(v: unknown): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'InvalidParameter');
  return v as Record<string, unknown>;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'InvalidParameter');
  }
}

function codeFor(status: number): string {
  const codes: Record<number, string> = {
    400: 'InvalidParameter',
    401: 'NotAuthenticated',
    403: 'NotAuthorized',
    404: 'NotAuthorizedOrNotFound',
    409: 'Conflict',
    429: 'TooManyRequests',
    500: 'InternalServerError',
    503: 'ServiceUnavailable',
  };
  return codes[status] ?? 'Error';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1 << 20) reject(new HttpError(413, 'RequestEntityTooLarge'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
