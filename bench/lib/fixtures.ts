/**
 * The benchmarks' PostgreSQL and OpenBao fixtures: one database per run, one group role, an
 * admin credential in OpenBao's KV, and dual-account secrets seeded cheaply (one KV write and
 * one batched CREATE ROLE each), so a measured rotation always starts from a secret whose
 * current account exists and logs in: the full path, old account locked at the end.
 *
 * Passwords live in memory only; nothing here logs or writes one outside OpenBao's KV and
 * PostgreSQL's catalog (which gets SCRAM verifiers, never plaintext).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { DEFAULT_PASSWORD_POLICY, generatePassword } from '../../activities/passwords';
import type { DatabaseSecret } from '../../activities/postgres/activities';
import { scramSha256Verifier } from '../../activities/postgres/scram';
import { VaultKvStore } from '../../activities/stores/vault';
import type { PostgresRotationInput, RotationTimings, SecretRef } from '../../workflows/types';
import type { BenchContext } from './context';
import { pool } from './stats';

/** The store name every benchmark inventory and registry uses. */
export const STORE = 'vault';

/** A database of this run's own, its group role and the admin credential's reference. */
export interface BenchDatabase {
  name: string;
  group: string;
  admin: SecretRef;
  host: string;
  port: number;
}

/** Timings of a benchmark rotation: production defaults, but the grace is the benchmark's. */
export const benchTimings = (graceMs: number): RotationTimings => ({
  graceMs,
  consumerCacheTtlMs: 0,
  drainPollMs: 30_000, // client/plans.ts DEFAULTS
  approvalTimeoutMs: 24 * 3_600_000,
  activityTimeoutMs: 60_000,
});

export function plainVault(ctx: BenchContext): VaultKvStore {
  return new VaultKvStore({ name: STORE, address: ctx.env.VAULT_ADDR, auth: { kind: 'token', token: ctx.env.VAULT_TOKEN } });
}

export async function createBenchDatabase(ctx: BenchContext): Promise<BenchDatabase> {
  const name = `rbench_${ctx.tag}`;
  const group = `rb_${ctx.tag}_app`;
  const su = await ctx.superuser();
  try {
    await su.query(`CREATE DATABASE ${name}`);
    await su.query(`CREATE ROLE ${group} NOLOGIN`);
  } finally {
    await su.end();
  }
  const db = await ctx.superuser(name);
  try {
    await db.query(`GRANT ALL ON SCHEMA public TO ${group}`);
  } finally {
    await db.end();
  }
  const admin = { store: STORE, path: `bench/${ctx.tag}/admin` };
  const vault = plainVault(ctx);
  const v = await vault.putPending(admin, JSON.stringify({ username: ctx.env.PGUSER, password: ctx.env.PGPASSWORD }), randomUUID());
  await vault.promote(admin, v);
  return { name, group, admin, host: ctx.env.PGHOST, port: Number(ctx.env.PGPORT) };
}

/** The workflow input of benchmark secret `kind`/`i` (references and durations only). */
export function dualAccountInput(ctx: BenchContext, db: BenchDatabase, kind: string, i: number, graceMs = 0): PostgresRotationInput {
  const role = `rb_${ctx.tag}_${kind}${i}`;
  return {
    secretId: `bench-${ctx.tag}-${kind}-${i}`,
    ref: { store: STORE, path: `bench/${ctx.tag}/${kind}/${i}` },
    postgres: { host: db.host, port: db.port, database: db.name, admin: db.admin, accounts: [`${role}_a`, `${role}_b`], group: db.group, check: 'SELECT 1', terminateSessions: true },
    timings: benchTimings(graceMs),
    password: DEFAULT_PASSWORD_POLICY,
    requestedBy: 'bench',
  };
}

/**
 * Makes each secret's first account current: its password as KV version 1 of the secret and
 * as the account's SCRAM verifier. Returns the current passwords (kept in memory: the leak
 * benchmark tries the "leaked" one).
 */
export async function seedSecrets(ctx: BenchContext, inputs: PostgresRotationInput[], concurrency = 16): Promise<Map<string, string>> {
  const passwords = new Map<string, string>();
  const su = await ctx.superuser(inputs[0]?.postgres.database);
  try {
    for (let at = 0; at < inputs.length; at += 200) {
      const batch = inputs.slice(at, at + 200);
      const sql: string[] = [];
      for (const input of batch) {
        const pw = generatePassword(input.password);
        passwords.set(input.secretId, pw);
        const [a] = input.postgres.accounts;
        sql.push(`CREATE ROLE ${a} LOGIN PASSWORD '${scramSha256Verifier(pw)}' IN ROLE ${input.postgres.group}`, `ALTER ROLE ${a} SET role = '${input.postgres.group}'`);
      }
      await su.query(sql.join(';\n'));
    }
  } finally {
    await su.end();
  }
  await pool(inputs, concurrency, async (input) => {
    const pg = input.postgres;
    const value: DatabaseSecret = { engine: 'postgres', host: pg.host, port: pg.port, dbname: pg.database, username: pg.accounts[0], password: passwords.get(input.secretId)! };
    await kvWrite(ctx, input.ref.path, value);
  });
  return passwords;
}

async function kvWrite(ctx: BenchContext, path: string, data: object): Promise<void> {
  const r = await fetch(`${ctx.env.VAULT_ADDR}/v1/secret/data/${path}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': ctx.env.VAULT_TOKEN, 'Content-Type': 'application/json' },
    body: JSON.stringify({ data }),
  });
  if (!r.ok) throw new Error(`seeding secret/data/${path}: HTTP ${r.status}`);
}

/** Deletes the run's KV secrets (with their history), its database and every role it made. */
export async function dropBenchData(ctx: BenchContext, db: BenchDatabase): Promise<void> {
  const list = async (prefix: string): Promise<string[]> => {
    const r = await fetch(`${ctx.env.VAULT_ADDR}/v1/secret/metadata/${prefix}?list=true`, { headers: { 'X-Vault-Token': ctx.env.VAULT_TOKEN } });
    if (r.status === 404) return [];
    const keys = ((await r.json()) as { data?: { keys?: string[] } }).data?.keys ?? [];
    const out: string[] = [];
    for (const k of keys) out.push(...(k.endsWith('/') ? await list(`${prefix}${k}`) : [`${prefix}${k}`]));
    return out;
  };
  for (const root of [`bench/${ctx.tag}/`, `_rotator/pending/bench/${ctx.tag}/`]) {
    await pool(await list(root), 16, async (path) => {
      await fetch(`${ctx.env.VAULT_ADDR}/v1/secret/metadata/${path}`, { method: 'DELETE', headers: { 'X-Vault-Token': ctx.env.VAULT_TOKEN } });
    });
  }
  const su = await ctx.superuser();
  try {
    await su.query(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
    const { rows } = await su.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [`rb\\_${ctx.tag}\\_%`]);
    // the accounts first, then the group they belong to
    const names = rows.map((r) => r.rolname).filter((n) => n !== db.group);
    for (let at = 0; at < names.length; at += 500) await su.query(names.slice(at, at + 500).map((n) => `DROP ROLE IF EXISTS ${n}`).join(';\n'));
    await su.query(`DROP ROLE IF EXISTS ${db.group}`);
  } finally {
    await su.end();
  }
}

/** An inventory with the vault store and the given secrets (what `rotator worker` and leakPlan read). */
export function writeInventory(file: string, inputs: PostgresRotationInput[], o: { schedule?: string } = {}): void {
  const lines = [
    'stores:',
    `  ${STORE}:`,
    '    type: vault',
    '    address: env:VAULT_ADDR',
    '    token: env:VAULT_TOKEN',
    inputs.length === 0 ? 'secrets: []' : 'secrets:',
  ];
  for (const s of inputs) {
    const pg = s.postgres;
    lines.push(
      `  - id: ${s.secretId}`,
      '    type: postgres-dual-account',
      `    store: ${s.ref.store}`,
      `    path: ${s.ref.path}`,
      '    postgres:',
      `      host: ${pg.host}`,
      '      port: env:PGPORT',
      `      database: ${pg.database}`,
      `      admin: { store: ${pg.admin.store}, path: ${pg.admin.path} }`,
      `      accounts: [${pg.accounts.join(', ')}]`,
      `      group: ${pg.group}`,
      '      check: SELECT 1',
      '      terminateSessions: true',
      '    grace: 0s',
      '    consumerCacheTtl: 0s',
      `    schedule: ${o.schedule ?? '{ every: 30d }'}`,
      '    owners: [bench]',
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}
