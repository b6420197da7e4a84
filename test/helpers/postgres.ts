/**
 * A dual-account PostgreSQL secret of a test's own: a fresh database, group and account
 * names unique to the test, the admin credential in the given store, and a plan (workflow
 * input) with durations in seconds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DEFAULT_PASSWORD_POLICY } from '../../activities/passwords';
import type { SecretStore, StoreRegistry } from '../../activities/stores/types';
import type { PostgresRotationInput, RotationTimings } from '../../workflows/types';

/** The local superuser, from the services' environment. */
export function adminConfig() {
  const { PGHOST, PGPORT, PGUSER, PGPASSWORD } = process.env;
  if (!PGHOST || !PGPORT || !PGUSER || !PGPASSWORD) throw new Error('PGHOST/PGPORT/PGUSER/PGPASSWORD are not set: run the tests through vitest (global setup starts the services)');
  return { host: PGHOST, port: Number(PGPORT), user: PGUSER, password: PGPASSWORD };
}

export async function adminQuery(sql: string, params: unknown[] = [], database = 'postgres') {
  const c = new Client({ ...adminConfig(), database });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

/** Tries a login; returns 'ok' or the SQLSTATE it failed with (28P01: wrong password). */
export async function tryLogin(database: string, user: string, password: string): Promise<string> {
  const c = new Client({ host: adminConfig().host, port: adminConfig().port, database, user, password, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? 'error';
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A registry over the given stores, by name. */
export const registry = (stores: SecretStore[]): StoreRegistry => {
  const byName = new Map(stores.map((s) => [s.name, s]));
  return {
    get(name) {
      const s = byName.get(name);
      if (!s) throw new Error(`no store named ${name}`);
      return s;
    },
  };
};

/** Short durations for tests; each test may override. */
export const fastTimings = (o: Partial<RotationTimings> = {}): RotationTimings => ({
  graceMs: 2000,
  consumerCacheTtlMs: 1000,
  drainPollMs: 500,
  approvalTimeoutMs: 5000,
  activityTimeoutMs: 10_000,
  ...o,
});

/** Creates a database, a group and an admin secret; returns the workflow input for it. */
export async function newDualAccountSecret(store: SecretStore, o: { timings?: Partial<RotationTimings>; check?: string } = {}): Promise<PostgresRotationInput> {
  const tag = randomBytes(4).toString('hex');
  const database = `rot_${tag}`;
  await adminQuery(`CREATE DATABASE ${database}`);
  const group = `app_${tag}`;
  await adminQuery(`CREATE ROLE ${group} NOLOGIN`);
  await adminQuery(`GRANT ALL ON SCHEMA public TO ${group}`, [], database);
  const admin = { store: store.name, path: `test/${tag}/admin` };
  const a = adminConfig();
  const adminVersion = await store.putPending(admin, JSON.stringify({ username: a.user, password: a.password }), randomUUID());
  await store.promote(admin, adminVersion);
  return {
    secretId: `pg-${tag}`,
    ref: { store: store.name, path: `test/${tag}/db` },
    postgres: {
      host: a.host,
      port: a.port,
      database,
      admin,
      accounts: [`${group}_a`, `${group}_b`],
      group,
      check: o.check ?? 'SELECT 1',
      terminateSessions: true,
    },
    timings: fastTimings(o.timings),
    password: DEFAULT_PASSWORD_POLICY,
  };
}
