/**
 * Admin sessions from a small pool per server, database and admin credential, so a step's
 * statements do not pay a new connection and SCRAM login each time (about a third of a
 * rotation's database time: bench/results/overhead.md). Admin sessions only: verification must
 * be a fresh login with the new password, and a pooled session of an account would count as
 * one of its live sessions.
 */
import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import type { PgConnect } from './activities';

/** Pool sizes; idle sessions close after `idleMs`, so an unused pool holds nothing. */
export interface AdminPoolOptions {
  maxPerPool?: number;
  idleMs?: number;
}

/** A connector whose sessions come from pools; `end()` closes every pool. */
export type PooledConnect = PgConnect & { end(): Promise<void> };

export function createAdminPool(o: AdminPoolOptions = {}): PooledConnect {
  const pools = new Map<string, Pool>();
  const connect: PgConnect = async (cfg) => {
    // the credential is part of the key: a changed admin password gets a pool of its own, and the old one idles out
    const key = createHash('sha256').update(JSON.stringify([cfg.host, cfg.port, cfg.database, cfg.user, cfg.password])).digest('hex');
    let pool = pools.get(key);
    if (!pool) {
      pool = new Pool({ ...cfg, max: o.maxPerPool ?? 10, idleTimeoutMillis: o.idleMs ?? 10_000, connectionTimeoutMillis: 10_000, allowExitOnIdle: true, application_name: 'rotator' });
      pool.on('error', () => undefined); // an idle session the server ended: the pool drops it
      pools.set(key, pool);
    }
    const client = await pool.connect();
    let failed = false;
    return {
      async query(sql, params) {
        try {
          return await client.query(sql, params);
        } catch (err) {
          failed = true;
          throw err;
        }
      },
      // a session that failed a statement is closed rather than handed to the next step
      end: async () => client.release(failed),
    };
  };
  return Object.assign(connect, {
    async end() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.end()));
    },
  });
}
