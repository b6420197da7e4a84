/**
 * Pooled admin sessions (activities/postgres/admin-pool.ts), as `rotator worker` builds its
 * activities: a session is reused, one whose statement failed is not, another credential gets
 * sessions of its own, and a rotation still verifies with a fresh login as the account.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, createActivities } from '../activities/index';
import { createAdminPool, type PooledConnect } from '../activities/postgres/admin-pool';
import { parseDatabaseSecret, type PgConnect } from '../activities/postgres/activities';
import { VaultKvStore } from '../activities/stores/vault';
import type { RotationResult } from '../workflows/types';
import { adminConfig, adminQuery, newDualAccountSecret, registry, tryLogin } from './helpers/postgres';
import { startHarness, type TemporalHarness } from './helpers/temporal';

const superuser = () => ({ ...adminConfig(), database: 'postgres' });
const pidOf = async (connect: PgConnect, cfg = superuser()) => {
  const s = await connect(cfg);
  try {
    return Number((await s.query('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
  } finally {
    await s.end();
  }
};

describe('pooled admin sessions', () => {
  let pool: PooledConnect;
  beforeAll(() => {
    pool = createAdminPool({ maxPerPool: 1 });
  });
  afterAll(async () => pool?.end());

  it('reuse a session, close one whose statement failed, and keep credentials apart', async () => {
    const first = await pidOf(pool);
    expect(await pidOf(pool)).toBe(first);

    const s = await pool(superuser());
    await expect(s.query('SELECT * FROM no_such_table')).rejects.toThrow();
    await s.end();
    const afterFailure = await pidOf(pool);
    expect(afterFailure).not.toBe(first);

    const role = `pool_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    const other = await pool({ ...superuser(), user: role, password });
    try {
      expect((await other.query('SELECT current_user AS u')).rows[0]?.u).toBe(role);
      expect(Number((await other.query('SELECT pg_backend_pid() AS pid')).rows[0]?.pid)).not.toBe(afterFailure);
    } finally {
      await other.end();
    }

    await pool.end();
    const { rows } = await adminQuery('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [afterFailure]);
    expect(rows[0]?.n).toBe(0);
  });
});

describe('a rotation with pooled admin sessions', () => {
  let h: TemporalHarness;
  let pool: PooledConnect;
  const fresh: string[] = [];
  const vault = new VaultKvStore({ name: 'vault', address: process.env.VAULT_ADDR!, auth: { kind: 'token', token: process.env.VAULT_TOKEN! } });
  beforeAll(async () => {
    pool = createAdminPool();
    const connect: PgConnect = (cfg) => (fresh.push(cfg.user), connectPostgres(cfg));
    h = await startHarness({ prefix: 'pg-admin-pool', activities: createActivities({ stores: registry([vault]), connect, connectAdmin: pool }) });
  });
  afterAll(async () => {
    await h?.stop();
    await pool?.end();
  });

  it('rotates, kills the old password, and logs in afresh only to verify', async () => {
    const input = await newDualAccountSecret(vault, { timings: { graceMs: 500, drainPollMs: 200 } });
    const rotate = (suffix: string): Promise<RotationResult> => h.client.workflow.execute('rotatePostgresDualAccount', { taskQueue: h.taskQueue, workflowId: `rotation/${input.secretId}${suffix}`, args: [input] });
    expect((await rotate('-bootstrap')).outcome).toBe('rotated');
    const old = parseDatabaseSecret((await vault.getVersion(input.ref, 'current')).value, input.ref);
    expect((await rotate('')).outcome).toBe('rotated');
    const now = parseDatabaseSecret((await vault.getVersion(input.ref, 'current')).value, input.ref);
    expect(await tryLogin(input.postgres.database, now.username, now.password)).toBe('ok');
    expect(await tryLogin(input.postgres.database, old.username, old.password)).toBe('28P01');
    expect(fresh).toEqual([input.postgres.accounts[0], input.postgres.accounts[1]]);
  });
});
