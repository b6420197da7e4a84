/**
 * Makes the example inventory's secret rotatable on the local services: the `payments`
 * database, its group role, and the admin credential at vault `admin/payments-db` (the local
 * superuser). Idempotent; used by `npm start` only when it runs the shipped example.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { VaultKvStore } from '../activities/stores/vault';
import type { ServiceEnv } from '../test/services/services';

export async function seedDemo(env: ServiceEnv): Promise<void> {
  const admin = { host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: 'postgres' };
  const pg = new Client(admin);
  await pg.connect();
  try {
    if ((await pg.query(`SELECT 1 FROM pg_database WHERE datname = 'payments'`)).rows.length === 0) await pg.query('CREATE DATABASE payments');
    if ((await pg.query(`SELECT 1 FROM pg_roles WHERE rolname = 'payments_app'`)).rows.length === 0) await pg.query('CREATE ROLE payments_app NOLOGIN');
  } finally {
    await pg.end();
  }
  const db = new Client({ ...admin, database: 'payments' });
  await db.connect();
  try {
    await db.query('GRANT ALL ON SCHEMA public TO payments_app');
  } finally {
    await db.end();
  }
  const vault = new VaultKvStore({ name: 'vault', address: env.VAULT_ADDR, auth: { kind: 'token', token: env.VAULT_TOKEN } });
  const ref = { store: 'vault', path: 'admin/payments-db' };
  if (!(await vault.describe(ref)).exists) {
    await vault.promote(ref, await vault.putPending(ref, JSON.stringify({ username: admin.user, password: admin.password }), randomUUID()));
  }
}
