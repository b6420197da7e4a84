/**
 * Dual-account PostgreSQL activities. Each touches secret values itself (reads them from the
 * store by reference, generates them with node:crypto) and returns only names, version ids
 * and counts. Each is safe to run twice.
 */
import { generatePassword } from '../passwords';
import { InvalidSecretError, VerificationFailedError, bounded } from '../boundary';
import { ConflictError, NotFoundError } from '../stores/errors';
import type { SecretStore, StoreRegistry } from '../stores/types';
import type { PasswordPolicy, PostgresTarget, SecretRef, Sighting } from '../../workflows/types';
import { scramSha256Verifier } from './scram';

/** The JSON value of a database secret, the shape AWS uses for database secrets. */
export interface DatabaseSecret {
  engine: 'postgres';
  host: string;
  port: number;
  dbname: string;
  username: string;
  password: string;
}

/** A connection's narrow surface: activities only query and end. */
export interface PgSession {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
}

/** How to open a session; injected so activities never build clients themselves. */
export type PgConnect = (cfg: { host: string; port: number; database: string; user: string; password: string }) => Promise<PgSession>;

/** What the PostgreSQL activities need. */
export interface PostgresDeps {
  stores: StoreRegistry;
  /** Fresh sessions: verification logs in with the new password for real. */
  connect: PgConnect;
  /** Admin sessions (may be pooled: activities/postgres/admin-pool.ts); `connect` when not given. */
  connectAdmin?: PgConnect;
}

/** Which account is live now, and which one this rotation may use. */
export interface AccountPick {
  active: string | null;
  inactive: string;
  currentVersionId?: string;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
// a SCRAM verifier is base64 and '$:' only, but quote it properly all the same
const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Ends the account's sessions but the caller's own; returns how many were ended. */
async function endSessionsOf(s: PgSession, account: string): Promise<number> {
  const { rows } = await s.query('SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()) t', [account]);
  return Number(rows[0]?.n ?? 0);
}

export function parseDatabaseSecret(value: string, ref: SecretRef): DatabaseSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidSecretError(`${ref.store}:${ref.path}: the stored value is not JSON`);
  }
  const s = parsed as Partial<DatabaseSecret>;
  if (typeof s?.username !== 'string' || typeof s.password !== 'string') {
    throw new InvalidSecretError(`${ref.store}:${ref.path}: the stored value lacks username or password`);
  }
  return s as DatabaseSecret;
}

export const createPostgresActivities = (d: PostgresDeps) => {
  const store = (ref: SecretRef) => d.stores.get(ref.store);

  async function readSecret(ref: SecretRef, which: Parameters<SecretStore['getVersion']>[1]): Promise<DatabaseSecret> {
    return parseDatabaseSecret((await store(ref).getVersion(ref, which)).value, ref);
  }

  /** Runs `fn` on a session as the admin role read from the store. */
  async function asAdmin<T>(pg: PostgresTarget, fn: (s: PgSession) => Promise<T>): Promise<T> {
    const admin = JSON.parse((await store(pg.admin).getVersion(pg.admin, 'current')).value) as { username?: string; password?: string };
    if (typeof admin.username !== 'string' || typeof admin.password !== 'string') {
      throw new InvalidSecretError(`${pg.admin.store}:${pg.admin.path}: the admin credential lacks username or password`);
    }
    const s = await (d.connectAdmin ?? d.connect)({ host: pg.host, port: pg.port, database: pg.database, user: admin.username, password: admin.password });
    try {
      return await fn(s);
    } finally {
      await s.end();
    }
  }

  return bounded({
    /** The account in the current version is active; the other one is ours to change. */
    async pickInactiveAccount(ref: SecretRef, pg: PostgresTarget): Promise<AccountPick> {
      let current: { versionId: string; value: string };
      try {
        current = await store(ref).getVersion(ref, 'current');
      } catch (err) {
        if (err instanceof NotFoundError) return { active: null, inactive: pg.accounts[0] }; // bootstrap: the first account becomes current
        throw err;
      }
      const { username } = parseDatabaseSecret(current.value, ref);
      const i = pg.accounts.indexOf(username);
      if (i < 0) throw new InvalidSecretError(`${ref.store}:${ref.path}: the current account is not one of ${pg.accounts.join(', ')}`);
      return { active: username, inactive: pg.accounts[1 - i], currentVersionId: current.versionId };
    },

    /** Generates a password for `account` and stores it as pending: store before use. */
    async stagePassword(ref: SecretRef, pg: PostgresTarget, account: string, policy: PasswordPolicy, token: string): Promise<string> {
      const value: DatabaseSecret = { engine: 'postgres', host: pg.host, port: pg.port, dbname: pg.database, username: account, password: generatePassword(policy) };
      try {
        return await store(ref).putPending(ref, JSON.stringify(value), token);
      } catch (err) {
        // a retry after the first attempt's write: this run's token already staged a version
        if (!(err instanceof ConflictError)) throw err;
        const pending = await store(ref).getVersion(ref, 'pending');
        if (parseDatabaseSecret(pending.value, ref).username !== account) throw err;
        return pending.versionId;
      }
    },

    /**
     * Sets the staged password on the account as a SCRAM verifier, and makes sure the account
     * logs in, belongs to the group, and acts as the group (so what it creates, the group owns).
     */
    async setPassword(ref: SecretRef, pg: PostgresTarget, account: string, versionId: string): Promise<void> {
      const secret = await readSecret(ref, { versionId });
      if (secret.username !== account) throw new InvalidSecretError(`${ref.store}:${ref.path}: version ${versionId} is not for ${account}`);
      await asAdmin(pg, async (s) => {
        if ((await s.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [pg.group])).rows.length === 0) {
          await s.query(`CREATE ROLE ${quoteIdent(pg.group)} NOLOGIN`);
        }
        const exists = await s.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [account]);
        const verb = exists.rows.length > 0 ? 'ALTER' : 'CREATE';
        await s.query(`${verb} ROLE ${quoteIdent(account)} WITH LOGIN PASSWORD ${quoteLiteral(scramSha256Verifier(secret.password))}`);
        await s.query(`GRANT ${quoteIdent(pg.group)} TO ${quoteIdent(account)}`);
        await s.query(`ALTER ROLE ${quoteIdent(account)} SET role = ${quoteLiteral(pg.group)}`);
      });
    },

    /** Logs in as the account with the staged password and runs the check query: verify before promote. */
    async verifyLogin(ref: SecretRef, pg: PostgresTarget, versionId: string): Promise<void> {
      const secret = await readSecret(ref, { versionId });
      let s: PgSession;
      try {
        s = await d.connect({ host: pg.host, port: pg.port, database: pg.database, user: secret.username, password: secret.password });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === '28P01' || code === '28000') throw new VerificationFailedError(`${secret.username} could not log in with the new password`);
        throw err;
      }
      try {
        try {
          await s.query(pg.check);
        } catch {
          throw new VerificationFailedError(`the check query failed for ${secret.username}`);
        }
        // objects the account creates must belong to the group, or the other account loses them
        const { rows } = await s.query('SELECT current_user AS role');
        if (rows[0]?.role !== pg.group) throw new VerificationFailedError(`${secret.username} does not act as ${pg.group} (current_user is ${String(rows[0]?.role)})`);
      } finally {
        await s.end();
      }
    },

    /** Sessions the account still holds (the grace period watches them drain). */
    async countSessions(pg: PostgresTarget, account: string): Promise<number> {
      return asAdmin(pg, async (s) => {
        const { rows } = await s.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()', [account]);
        return Number(rows[0]?.n ?? 0);
      });
    },

    /**
     * Replaces the account's password with one that is stored nowhere, so no credential for it
     * exists any more; optionally ends its sessions. Returns how many sessions were ended.
     */
    async lockAccount(pg: PostgresTarget, account: string, terminateSessions: boolean): Promise<number> {
      return asAdmin(pg, async (s) => {
        const exists = await s.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [account]);
        if (exists.rows.length === 0) return 0;
        await s.query(`ALTER ROLE ${quoteIdent(account)} WITH PASSWORD ${quoteLiteral(scramSha256Verifier(generatePassword()))}`);
        return terminateSessions ? endSessionsOf(s, account) : 0;
      });
    },

    /** Ends every session the account holds (a leak response: they may have logged in with the leaked password). */
    async endSessions(pg: PostgresTarget, account: string): Promise<number> {
      return asAdmin(pg, (s) => endSessionsOf(s, account));
    },

    /** The accounts' live sessions, as metadata (who, from where, since when): a leak's blast radius. */
    async listSessions(pg: PostgresTarget, accounts: string[]): Promise<Sighting[]> {
      return asAdmin(pg, async (s) => {
        const { rows } = await s.query(
          `SELECT pid, usename, datname, coalesce(host(client_addr), 'local socket') AS source, backend_start, application_name
             FROM pg_stat_activity WHERE usename = ANY($1) AND pid <> pg_backend_pid() ORDER BY backend_start`,
          [accounts],
        );
        return rows.map((r) => ({
          identity: String(r.usename),
          source: String(r.source),
          at: new Date(r.backend_start as Date).toISOString(),
          evidence: `pg_stat_activity: session pid ${String(r.pid)} on ${String(r.datname)}${r.application_name ? ` (application_name ${String(r.application_name).slice(0, 64)})` : ''}`,
        }));
      });
    },
  });
};

/** The activity interface workflows proxy (types only cross into the sandbox). */
export type PostgresActivities = ReturnType<typeof createPostgresActivities>;
