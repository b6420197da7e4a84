/**
 * The rotations.yaml schema. Shape is checked field by field (every object is strict, so a
 * typo is an error, not a silently ignored key); `env:NAME` values are resolved from the
 * environment as each field is checked; cross-field rules (stores named, ids unique,
 * grace >= consumer cache TTL, defaults filling gaps) run over the whole file, even when some
 * other part of it is malformed, so one run reports every problem.
 *
 * No message here quotes a value from the file or the environment: only field names, key
 * names, slugs (ids, store names) and durations, none of which is secret.
 */
import { z } from 'zod';
import { DURATION_EXAMPLES, DurationError, formatDuration, parseDuration } from './duration';

/** Where `env:NAME` references are read from (process.env, or a test's own object). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The store kinds, by their `type`. */
export const STORE_TYPES = ['vault', 'aws', 'oci'] as const;
/** The secret kinds, by their `type`; each has its own rotation workflow. */
export const SECRET_TYPES = ['postgres-dual-account', 'api-key', 'certificate'] as const;

// ---------------------------------------------------------------- messages

/** Names the kind of a value without quoting it. */
export function describeInput(input: unknown): string {
  if (input === undefined || input === null) return 'nothing';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'boolean') return 'true or false';
  return `a ${typeof input}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

const present = (iss: { input?: unknown }) => iss.input !== undefined;
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const quoteKey = (key: string) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);

/** Suggests the allowed key a typo most likely meant: a prefix match, or one or two edits away. */
function closestKey(key: string, allowed: string[]): string | undefined {
  const lower = key.toLowerCase();
  const prefix = allowed.find((k) => lower.startsWith(k.toLowerCase()) || k.toLowerCase().startsWith(lower));
  if (prefix) return prefix;
  let best: { key: string; distance: number } | undefined;
  for (const k of allowed) {
    const distance = editDistance(lower, k.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { key: k, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

function unknownKeysMessage(keys: string[], allowed: string[]): string {
  const parts = keys.map((key) => {
    const guess = closestKey(key, allowed);
    return guess ? `${quoteKey(key)} (did you mean ${quoteKey(guess)}?)` : quoteKey(key);
  });
  const head = keys.length === 1 ? `unknown key ${parts[0]}` : `unknown keys ${parts.join(', ')}`;
  return `${head}; allowed here: ${allowed.join(', ')}`;
}

/**
 * The error map for inventory parses: our wording for every zod issue. Schemas with a
 * message of their own (formats, references) set it where they are declared.
 */
export const inventoryErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (!present(iss)) return 'required field is missing';
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeInput(iss.input)}`;
    case 'too_small':
      if (iss.origin === 'string') return 'must not be empty';
      if (iss.origin === 'array') return iss.minimum === 1 ? 'must list at least one entry' : `must list at least ${iss.minimum} entries`;
      return `must be at least ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'string') return `must be at most ${iss.maximum} characters`;
      if (iss.origin === 'array') return `must list at most ${iss.maximum} entries`;
      return `must be at most ${iss.maximum}`;
    case 'invalid_value':
      return iss.values.length === 1 ? `expected ${String(iss.values[0])}` : `expected one of: ${iss.values.map(String).join(', ')}`;
    case 'unrecognized_keys': {
      const allowed = iss.inst instanceof z.ZodObject ? Object.keys(iss.inst.shape) : [];
      return unknownKeysMessage(iss.keys, allowed);
    }
    case 'invalid_union':
      return 'does not match any allowed form';
    case 'invalid_key':
      return 'invalid key';
    case 'invalid_format':
      return 'has the wrong format';
    default:
      return 'is not valid';
  }
};

/** For a discriminated union: says which `type` values exist. */
function unknownType(what: string) {
  return (iss: z.core.$ZodRawIssue) => {
    const options: unknown = iss.code === 'invalid_union' && 'options' in iss ? iss.options : undefined;
    if (!Array.isArray(options)) return undefined;
    const known = options.map(String).join(', ');
    if (isRecord(iss.input) && iss.input.type === undefined) return `required field is missing; ${what} types: ${known}`;
    return `unknown ${what} type; known types: ${known}`;
  };
}

// ---------------------------------------------------------------- values

const SLUG = /^[a-z0-9_-]{1,100}$/;
const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;
const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;
const MOUNT = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const SLACK_ID = /^[UWCG][A-Z0-9]{2,20}$/;
const SLACK_CHANNEL = /^(#[a-z0-9_-]{1,80}|[CG][A-Z0-9]{2,20})$/;
const CRON_FIELD = /^[0-9A-Za-z*?,/#-]+$/;
const CRON_MACRO = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/;

const mount = z.string().regex(MOUNT, { error: 'expected a mount path such as secret or kv/apps' });
const slug = (what: string) => z.string().regex(SLUG, { error: `expected ${what}: 1 to 100 lowercase letters, digits, - or _` });
const text = z.string().min(1);

/** A format a plain or env-supplied value must have. */
interface Format {
  test: (value: string) => boolean;
  expected: string;
}

const httpUrl: Format = {
  expected: 'an http(s) URL',
  test: (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
};
const region: Format = { expected: 'a region such as us-east-1', test: (v) => /^[a-z]{2}(-[a-z]+)+-\d+$/.test(v) };
const ocid: Format = { expected: 'an OCID (ocid1.…)', test: (v) => /^ocid1\.[a-z0-9]+\.[a-z0-9]+\.[a-z0-9-]*\.[a-z0-9.]*[a-z0-9]$/i.test(v) };
const fingerprint: Format = { expected: 'a key fingerprint (16 hex pairs separated by :)', test: (v) => /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(v) };
const portText: Format = { expected: 'a port number (1-65535)', test: (v) => /^\d{1,5}$/.test(v) && isPort(Number(v)) };

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Reads `env:NAME` from env (checking the value's format) or checks a literal; undefined after an issue. */
function resolve(value: string, env: Environment, ctx: z.RefinementCtx, format?: Format): string | undefined {
  if (!value.startsWith('env:')) {
    if (!format || format.test(value)) return value;
    ctx.addIssue({ code: 'custom', message: `expected ${format.expected} or env:NAME` });
    return undefined;
  }
  const name = ENV_REF.exec(value)?.[1];
  if (name === undefined) {
    ctx.addIssue({ code: 'custom', message: 'malformed environment reference: expected env:NAME, NAME made of letters, digits and _' });
    return undefined;
  }
  const resolved = env[name];
  const problem =
    resolved === undefined ? 'is not set' : resolved === '' ? 'is empty' : format && !format.test(resolved) ? `does not hold ${format.expected}` : undefined;
  if (problem === undefined) return resolved;
  ctx.addIssue({ code: 'custom', message: `environment variable ${name} ${problem}` });
  return undefined;
}

/** A value written in the file or read from `env:NAME`. */
function plainOrEnv(env: Environment, format?: Format) {
  return text.transform((value, ctx) => resolve(value, env, ctx, format) ?? z.NEVER);
}

/** A credential: only ever `env:NAME`, so the file can be committed and shown. */
function credential(env: Environment) {
  return z.string().transform((value, ctx) => {
    if (value.startsWith('env:')) return resolve(value, env, ctx) ?? z.NEVER;
    ctx.addIssue({ code: 'custom', message: 'a credential is never written in the inventory: give env:NAME and set NAME in the environment' });
    return z.NEVER;
  });
}

/** A TCP port: a number, or `env:NAME` holding one. */
function port(env: Environment) {
  return z
    .union([z.number(), z.string()], { error: (iss) => (present(iss) ? `expected a port number (1-65535) or env:NAME, got ${describeInput(iss.input)}` : undefined) })
    .transform((value, ctx) => {
      if (typeof value === 'number') {
        if (isPort(value)) return value;
        ctx.addIssue({ code: 'custom', message: 'expected a port number (1-65535)' });
        return z.NEVER;
      }
      const resolved = resolve(value, env, ctx, portText);
      return resolved === undefined ? z.NEVER : Number(resolved);
    });
}

const duration = z
  .string({ error: (iss) => (present(iss) ? `expected a duration such as ${DURATION_EXAMPLES}, got ${describeInput(iss.input)}` : undefined) })
  .transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof DurationError ? err.message : 'not a duration' });
      return z.NEVER;
    }
  });

const isCron = (expression: string) => {
  const fields = expression.trim().split(/\s+/);
  return CRON_MACRO.test(expression.trim()) || (fields.length === 5 && fields.every((f) => CRON_FIELD.test(f)));
};

/** A rotation schedule: a fixed interval, or a cron expression. */
export type Schedule = { every: number } | { cron: string };

const schedule = z
  .strictObject(
    {
      every: duration.optional(),
      cron: z.string().refine(isCron, { error: 'expected a cron expression of five fields (minute hour day-of-month month day-of-week), such as 0 3 * * 1' }).optional(),
    },
    { error: (iss) => (iss.code === 'invalid_type' && present(iss) ? `expected { every: 30d } or { cron: '0 3 * * 1' }, got ${describeInput(iss.input)}` : undefined) },
  )
  .transform((s, ctx): Schedule => {
    if (s.every !== undefined && s.cron !== undefined) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give every or cron, not both' });
    else if (s.every !== undefined) {
      if (s.every > 0) return { every: s.every };
      ctx.addIssue({ code: 'custom', path: ['every'], message: 'must be longer than 0s' });
    } else if (s.cron !== undefined) return { cron: s.cron.trim() };
    else ctx.addIssue({ code: 'custom', message: 'give every (a duration) or cron (an expression)' });
    return z.NEVER;
  });

const owners = z.array(text).min(1, { error: 'must name at least one owner' });
const channel = z.string().regex(SLACK_CHANNEL, { error: 'expected a Slack channel such as #payments-oncall or a channel id such as C024BE91L' });
const slackIds = z.array(z.string().regex(SLACK_ID, { error: 'expected a Slack user id (U…, W…) or channel id (C…, G…)' }));
const chat = z.strictObject({ leak: slackIds.optional(), rotate: slackIds.optional(), steer: slackIds.optional() });

/** A pointer to a credential kept in a store: the inventory never holds the credential itself. */
const secretRef = z.strictObject(
  { store: slug('a store name'), path: text },
  {
    error: (iss) => {
      if (iss.code === 'invalid_type' && present(iss))
        return 'expected a reference { store, path } to where the credential is kept: a credential is never written in the inventory';
      if (iss.code === 'unrecognized_keys')
        return `${unknownKeysMessage(iss.keys, ['store', 'path'])}: a reference names where the credential is kept, never the credential itself`;
      return undefined;
    },
  },
);

// ---------------------------------------------------------------- stores

function storeSchema(env: Environment) {
  const vault = z
    .strictObject({
      type: z.literal('vault'),
      address: plainOrEnv(env, httpUrl),
      token: credential(env).optional(),
      approle: z.strictObject({ roleId: credential(env), secretId: credential(env), mount: mount.default('approle') }).optional(),
      /** KV v2 mount. */
      mount: mount.default('secret'),
      namespace: plainOrEnv(env).optional(),
    })
    .superRefine((s, ctx) => {
      if (s.token === undefined && s.approle === undefined) ctx.addIssue({ code: 'custom', message: 'give token or approle: { roleId, secretId }, each env:NAME' });
      if (s.token !== undefined && s.approle !== undefined) ctx.addIssue({ code: 'custom', path: ['approle'], message: 'give token or approle, not both' });
    });
  const aws = z.strictObject({
    type: z.literal('aws'),
    region: plainOrEnv(env, region),
    /** For a local emulator. */
    endpoint: plainOrEnv(env, httpUrl).optional(),
    /** Otherwise the SDK's default chain (environment, profile, instance role). */
    credentials: z.strictObject({ accessKeyId: credential(env), secretAccessKey: credential(env), sessionToken: credential(env).optional() }).optional(),
  });
  const ociApiKey = z.strictObject({
    tenancy: plainOrEnv(env, ocid),
    user: plainOrEnv(env, ocid),
    fingerprint: plainOrEnv(env, fingerprint),
    privateKey: credential(env),
    passphrase: credential(env).optional(),
  });
  const oci = z.strictObject({
    type: z.literal('oci'),
    region: plainOrEnv(env, region),
    compartmentId: plainOrEnv(env, ocid),
    vaultId: plainOrEnv(env, ocid),
    keyId: plainOrEnv(env, ocid),
    auth: z.union([z.enum(['config-file', 'instance-principal']), ociApiKey], {
      error: (iss) =>
        present(iss) ? 'expected config-file, instance-principal or an API key { tenancy, user, fingerprint, privateKey }' : undefined,
    }),
    configFile: plainOrEnv(env).optional(),
    profile: text.optional(),
    endpoint: plainOrEnv(env, httpUrl).optional(),
  });
  return z.discriminatedUnion('type', [vault, aws, oci], { error: unknownType('store') });
}

// ---------------------------------------------------------------- secrets

const id = slug('a secret id');
/** Fields every secret has besides id and type. The four that `defaults` may give are optional here and filled in later. */
const common = {
  store: slug('a store name'),
  /** The store's own name for the secret. */
  path: text,
  schedule: schedule.optional(),
  grace: duration.optional(),
  consumerCacheTtl: duration.optional(),
  owners: owners.optional(),
  channel: channel.optional(),
  approval: z.literal('before-promote').optional(),
  approvalTimeout: duration.optional(),
  chat: chat.optional(),
};

const role = z.string().regex(ROLE, { error: 'expected a PostgreSQL role name: lowercase letters, digits and _, at most 63, not starting with a digit' });

function postgresSchema(env: Environment) {
  const accounts = z
    .array(role)
    .length(2, { error: (iss) => `expected exactly two role names, got ${Array.isArray(iss.input) ? iss.input.length : 0}` })
    .superRefine((names, ctx) => {
      // each account takes its turn while the other drains: one role twice would rotate the password in use
      if (names[0] === names[1]) ctx.addIssue({ code: 'custom', path: [1], message: 'the two accounts must be different roles' });
    });
  return z
    .strictObject({
      host: plainOrEnv(env),
      port: port(env),
      database: plainOrEnv(env),
      /** Where the admin login ({username, password} JSON) is kept. */
      admin: secretRef,
      accounts,
      group: role,
      check: text.default('SELECT 1'),
      sslmode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
      terminateSessions: z.boolean().default(false),
    })
    .superRefine((pg, ctx) => {
      if (pg.accounts.includes(pg.group))
        ctx.addIssue({ code: 'custom', path: ['group'], message: 'the group role must differ from both accounts: it holds the privileges they share' });
    });
}

function apiKeyProviderSchema(env: Environment) {
  /** `store` names the store that reaches the provider; by default the secret's own. */
  const awsIam = z.strictObject({ type: z.literal('aws-iam'), user: z.string().regex(/^[\w+=,.@-]{1,64}$/, { error: 'expected an IAM user name' }), store: slug('a store name').optional() });
  const vaultAppRole = z.strictObject({ type: z.literal('vault-approle'), role: text, mount: mount.default('approle'), store: slug('a store name').optional() });
  const http = z.strictObject({ type: z.literal('http'), baseUrl: plainOrEnv(env, httpUrl), admin: secretRef });
  return z.discriminatedUnion('type', [awsIam, vaultAppRole, http], { error: unknownType('provider') });
}

function certificateSchema(env: Environment) {
  const vaultPki = z.strictObject({ type: z.literal('vault-pki'), mount, role: text, store: slug('a store name').optional() });
  const acme = z.strictObject({ type: z.literal('acme'), directoryUrl: plainOrEnv(env, httpUrl), email: text.optional(), accountKey: secretRef.optional() });
  return z.strictObject({
    issuer: z.discriminatedUnion('type', [vaultPki, acme], { error: unknownType('issuer') }),
    commonName: text,
    altNames: z.array(text).default([]),
    files: z.strictObject({ cert: text, key: text, chain: text.optional() }),
    /** A string runs through /bin/sh; a list is argv, run without a shell. */
    reload: z.strictObject({ command: z.union([text, z.array(text).min(1)]).optional() }).default({}),
    renewBefore: duration.optional(),
  });
}

function secretSchema(env: Environment) {
  // id and type first: they lead the list of allowed keys in an unknown-key message
  const postgres = z.strictObject({ id, type: z.literal('postgres-dual-account'), ...common, postgres: postgresSchema(env) });
  const apiKey = z.strictObject({ id, type: z.literal('api-key'), ...common, provider: apiKeyProviderSchema(env) });
  const certificate = z.strictObject({ id, type: z.literal('certificate'), ...common, certificate: certificateSchema(env) });
  return z.discriminatedUnion('type', [postgres, apiKey, certificate], { error: unknownType('secret') });
}

const defaults = z.strictObject({
  grace: duration.optional(),
  consumerCacheTtl: duration.optional(),
  schedule: schedule.optional(),
  owners: owners.optional(),
  channel: channel.optional(),
  chat: chat.optional(),
});

// ---------------------------------------------------------------- cross-field rules

/** The fields a secret must have, from itself or from `defaults`. */
const DEFAULTABLE = ['schedule', 'grace', 'consumerCacheTtl', 'owners'] as const;

// A lenient view of the (possibly half-parsed) inventory: these rules run even when other
// parts failed, and must read only what did parse.
const looseRecord = z.record(z.string(), z.unknown());
const LooseInventory = z
  .object({ stores: looseRecord.optional().catch(undefined), defaults: looseRecord.optional().catch(undefined), secrets: z.array(z.unknown()).catch([]) })
  .catch({ secrets: [] });

type Loose = Record<string, unknown>;
type Path = (string | number)[];

const has = (o: Loose | undefined, key: string) => o !== undefined && Object.hasOwn(o, key) && o[key] !== undefined;
const slugAt = (o: Loose | undefined, key: string) => (o && typeof o[key] === 'string' && SLUG.test(o[key]) ? o[key] : undefined);
const child = (o: Loose | undefined, key: string) => (o && isRecord(o[key]) ? o[key] : undefined);

/** What the rules share: the declared stores, the defaults, and a way to report. */
interface Rules {
  stores: Loose | undefined;
  defaults: Loose | undefined;
  issue: (path: Path, message: string) => void;
  /** A duration at `path` in `o`, if it parsed (a field that failed keeps its raw value: `grace: 5` stays 5). */
  msAt: (o: Loose | undefined, path: Path) => number | undefined;
}

function crossFieldRules(value: unknown, ctx: z.RefinementCtx): void {
  const inv = LooseInventory.parse(value);
  const failed = (path: Path) => ctx.issues.some((i) => path.every((segment, n) => i.path?.[n] === segment));
  const rules: Rules = {
    stores: inv.stores,
    defaults: inv.defaults,
    issue: (path, message) => ctx.addIssue({ code: 'custom', path, message }),
    msAt: (o, path) => {
      const key = path[path.length - 1];
      return o && typeof key === 'string' && typeof o[key] === 'number' && !failed(path) ? o[key] : undefined;
    },
  };
  graceCoversCache(rules, ['defaults'], {
    grace: rules.msAt(inv.defaults, ['defaults', 'grace']),
    ttl: rules.msAt(inv.defaults, ['defaults', 'consumerCacheTtl']),
  });
  const firstIndex = new Map<string, number>();
  inv.secrets.forEach((raw, i) => {
    if (!isRecord(raw)) return;
    const id = slugAt(raw, 'id');
    const first = id === undefined ? undefined : firstIndex.get(id);
    if (id !== undefined && first === undefined) firstIndex.set(id, i);
    else if (first !== undefined) rules.issue(['secrets', i, 'id'], `duplicate secret id "${id}": secrets[${first}] already uses it`);
    storeReferences(rules, raw, ['secrets', i]);
    secretTiming(rules, raw, ['secrets', i]);
  });
}

/** Every store a secret names is declared, and a provider or issuer reaches its service through a store of the right kind. */
function storeReferences(rules: Rules, raw: Loose, at: Path): void {
  const { stores, issue } = rules;
  const mustBeDeclared = (path: Path, name: string | undefined) => {
    if (!stores || name === undefined || Object.hasOwn(stores, name)) return;
    const declared = Object.keys(stores);
    issue(path, `unknown store "${name}"; declared stores: ${declared.length ? declared.join(', ') : 'none'}`);
  };
  const provider = child(raw, 'provider');
  const issuer = child(child(raw, 'certificate'), 'issuer');
  mustBeDeclared([...at, 'store'], slugAt(raw, 'store'));
  mustBeDeclared([...at, 'postgres', 'admin', 'store'], slugAt(child(child(raw, 'postgres'), 'admin'), 'store'));
  mustBeDeclared([...at, 'provider', 'admin', 'store'], slugAt(child(provider, 'admin'), 'store'));
  mustBeDeclared([...at, 'certificate', 'issuer', 'accountKey', 'store'], slugAt(child(issuer, 'accountKey'), 'store'));

  const needs: Array<[Loose | undefined, Path, string, string]> = [
    [provider, [...at, 'provider'], 'aws-iam', 'aws'],
    [provider, [...at, 'provider'], 'vault-approle', 'vault'],
    [issuer, [...at, 'certificate', 'issuer'], 'vault-pki', 'vault'],
  ];
  for (const [block, path, kind, wanted] of needs) {
    if (block?.type !== kind) continue;
    const own = slugAt(block, 'store');
    mustBeDeclared([...path, 'store'], own);
    const name = own ?? slugAt(raw, 'store');
    const spec = name === undefined ? undefined : stores?.[name];
    const actual = isRecord(spec) && typeof spec.type === 'string' ? spec.type : undefined;
    if (actual === undefined || actual === wanted) continue;
    issue(own ? [...path, 'store'] : path, `${kind} needs a store of type ${wanted}, and store "${name}" is of type ${actual}${own ? '' : ': name one with store'}`);
  }
}

/** The fields defaults may give are given somewhere, approval settings agree, and grace covers the consumer cache. */
function secretTiming(rules: Rules, raw: Loose, at: Path): void {
  const { defaults: d, issue, msAt } = rules;
  for (const key of DEFAULTABLE) {
    if (!has(raw, key) && !has(d, key)) issue([...at, key], 'required field is missing (give it here or under defaults)');
  }
  if (has(raw, 'approvalTimeout') && !has(raw, 'approval'))
    issue([...at, 'approvalTimeout'], 'approvalTimeout is set but approval is not (approval: before-promote)');
  // both from defaults was reported once, at defaults
  if (!has(raw, 'grace') && !has(raw, 'consumerCacheTtl')) return;
  const own = (key: string) => has(raw, key);
  graceCoversCache(rules, at, {
    grace: own('grace') ? msAt(raw, [...at, 'grace']) : msAt(d, ['defaults', 'grace']),
    ttl: own('consumerCacheTtl') ? msAt(raw, [...at, 'consumerCacheTtl']) : msAt(d, ['defaults', 'consumerCacheTtl']),
    graceNote: own('grace') ? '' : ' (from defaults)',
    ttlNote: own('consumerCacheTtl') ? '' : ' (from defaults)',
    at: own('grace') ? 'grace' : 'consumerCacheTtl',
  });
}

/** Invariant 8: a grace period shorter than the consumer cache TTL would cut off consumers still holding the old credential. */
function graceCoversCache(
  rules: Rules,
  path: Path,
  v: { grace?: number; ttl?: number; graceNote?: string; ttlNote?: string; at?: string },
): void {
  if (v.grace === undefined || v.ttl === undefined || v.grace >= v.ttl) return;
  rules.issue(
    [...path, v.at ?? 'grace'],
    `grace ${formatDuration(v.grace)}${v.graceNote ?? ''} is shorter than consumerCacheTtl ${formatDuration(v.ttl)}${v.ttlNote ?? ''}: ` +
      'a consumer would still hold the old credential when it dies',
  );
}

// ---------------------------------------------------------------- the inventory

/** The rotations.yaml schema, reading `env:NAME` values from `env`. Parse with `inventoryErrorMap`. */
export function inventorySchema(env: Environment) {
  return z
    .strictObject(
      {
        stores: z.record(slug('a store name'), storeSchema(env), {
          error: (iss) => (iss.code === 'invalid_key' ? 'expected a store name: 1 to 100 lowercase letters, digits, - or _' : undefined),
        }),
        secrets: z.array(secretSchema(env)),
        defaults: defaults.optional(),
      },
      { error: (iss) => (iss.code === 'invalid_type' ? `expected a mapping with stores and secrets, got ${describeInput(iss.input)}` : undefined) },
    )
    .superRefine((value, ctx) => crossFieldRules(value, ctx), { when: () => true })
    .transform((inv, ctx) => {
      const d = inv.defaults;
      const secrets = inv.secrets.flatMap((s, i) => {
        const schedule = s.schedule ?? d?.schedule;
        const grace = s.grace ?? d?.grace;
        const consumerCacheTtl = s.consumerCacheTtl ?? d?.consumerCacheTtl;
        const owners = s.owners ?? d?.owners;
        if (schedule === undefined || grace === undefined || consumerCacheTtl === undefined || owners === undefined) {
          // crossFieldRules reports the field by name; this only keeps the types honest
          ctx.addIssue({ code: 'custom', path: ['secrets', i], message: 'required field is missing (give it here or under defaults)' });
          return [];
        }
        return [{ ...s, schedule, grace, consumerCacheTtl, owners, channel: s.channel ?? d?.channel, chat: s.chat ?? d?.chat }];
      });
      return { stores: inv.stores, secrets, defaults: d };
    });
}

/** The zod schema type of a rotations.yaml. */
export type InventorySchema = ReturnType<typeof inventorySchema>;
/** A validated inventory: env references resolved, durations in milliseconds, defaults applied. */
export type Inventory = z.output<InventorySchema>;
/** A store declaration, one of STORE_TYPES. */
export type StoreSpec = Inventory['stores'][string];
/** A store kind. */
export type StoreType = StoreSpec['type'];
/** HashiCorp Vault or OpenBao, KV v2, with a token or AppRole login. */
export type VaultStoreSpec = Extract<StoreSpec, { type: 'vault' }>;
/** AWS Secrets Manager (or a local emulator at `endpoint`). */
export type AwsStoreSpec = Extract<StoreSpec, { type: 'aws' }>;
/** OCI Vault: secrets in `vaultId`, encrypted with `keyId`. */
export type OciStoreSpec = Extract<StoreSpec, { type: 'oci' }>;
/** A secret to rotate, with defaults applied (grace and TTLs in milliseconds). */
export type SecretSpec = Inventory['secrets'][number];
/** A secret kind, one of SECRET_TYPES. */
export type SecretType = SecretSpec['type'];
/** A PostgreSQL login rotated by swapping between two accounts. */
export type PostgresSecretSpec = Extract<SecretSpec, { type: 'postgres-dual-account' }>;
/** The `postgres:` block of a dual-account secret. */
export type PostgresSettings = PostgresSecretSpec['postgres'];
/** An API key rotated with an overlap window. */
export type ApiKeySecretSpec = Extract<SecretSpec, { type: 'api-key' }>;
/** Where an API key is minted and revoked. */
export type ApiKeyProvider = ApiKeySecretSpec['provider'];
/** A certificate renewed before it expires. */
export type CertificateSecretSpec = Extract<SecretSpec, { type: 'certificate' }>;
/** The `certificate:` block of a certificate secret. */
export type CertificateSettings = CertificateSecretSpec['certificate'];
/** Who issues the certificate. */
export type CertificateIssuer = CertificateSettings['issuer'];
/** A reference to a credential kept in a store; never the credential itself. */
export type SecretRef = z.output<typeof secretRef>;
/** Who may start which operation from chat (Slack user or channel ids). */
export type ChatAuthorisation = z.output<typeof chat>;
/** Values secrets inherit when they do not set their own. */
export type InventoryDefaults = z.output<typeof defaults>;

// the constants and the schema's literals must name the same kinds: this fails to compile otherwise
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const kindsMatch: Same<StoreType, (typeof STORE_TYPES)[number]> & Same<SecretType, (typeof SECRET_TYPES)[number]> = true;
void kindsMatch;
