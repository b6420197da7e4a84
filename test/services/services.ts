/**
 * The real local services: Temporal dev server, PostgreSQL 15, OpenBao (dev mode) and moto.
 * `startServices()` is idempotent: a service whose recorded process is alive and healthy is
 * left alone, so the second run starts nothing and returns in seconds.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { writeFileAtomic } from '../../client/files';
import { HOST, OPENBAO_ROOT_TOKEN, PORTS, TEMPORAL_NAMESPACE, VERSIONS, logDir, pgDataDir, stateDir } from './layout';
import { motoBinary, openbaoBinary, postgresBinaries, run, temporalBinary } from './tools';

const say = (line: string) => process.stderr.write(`services: ${line}\n`);

/** The addresses of the running services, as NAME=value environment entries. */
export type ServiceEnv = Record<string, string>;

interface Service {
  name: string;
  address: () => string;
  healthy: () => Promise<boolean>;
  start: () => Promise<void>;
  /** One-time configuration after the first healthy start. */
  configure?: () => Promise<void>;
}

const pidFile = (name: string) => join(stateDir, `${name}.pid`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function recordedPid(name: string): number | undefined {
  if (!existsSync(pidFile(name))) return undefined;
  const pid = Number(readFileSync(pidFile(name), 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port, timeout: 1000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

async function httpOk(url: string, init: RequestInit = {}): Promise<boolean> {
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** Starts a long-lived process detached from us, its output in a log file. */
function daemon(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const log = openSync(join(logDir, `${name}.log`), 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log], env: { ...process.env, ...env } });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
  writeFileSync(pidFile(name), String(child.pid));
  child.unref();
}

function logTail(name: string): string {
  const f = join(logDir, `${name}.log`);
  if (!existsSync(f)) return '';
  return readFileSync(f, 'utf8').split('\n').slice(-15).join('\n');
}

async function waitHealthy(svc: Service, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await svc.healthy()) return;
    const pid = recordedPid(svc.name);
    if (svc.name !== 'postgres' && pid === undefined) {
      throw new Error(`${svc.name} exited during start-up; last lines of ${join(logDir, `${svc.name}.log`)}:\n${logTail(svc.name)}`);
    }
    await sleep(250);
  }
  throw new Error(`${svc.name} did not become healthy within ${seconds} s; see ${join(logDir, `${svc.name}.log`)}`);
}

// ---------------------------------------------------------------- secrets of the local stack

function localSecret(file: string, make: () => string): string {
  const path = join(stateDir, file);
  if (!existsSync(path)) writeFileAtomic(path, make());
  return readFileSync(path, 'utf8').trim();
}

const pgPassword = () => localSecret('pg-superuser-password', () => randomBytes(18).toString('base64url'));
/** The local stack's payload-codec key, made once, in ROTATOR_CODEC_KEYS form (`id:base64`). */
const codecKeys = () => localSecret('codec-keys', () => `local-${Date.now().toString(36)}:${randomBytes(32).toString('base64')}`);

// ---------------------------------------------------------------- the services

const temporal: Service = {
  name: 'temporal',
  address: () => `${HOST}:${PORTS.temporal}`,
  healthy: () => httpOk(`http://${HOST}:${PORTS.temporalMetrics}/metrics`).then(async (ok) => ok && (await portOpen(PORTS.temporal))),
  async start() {
    const bin = temporalBinary();
    daemon('temporal', bin, [
      'server', 'start-dev',
      '--ip', HOST, '--port', String(PORTS.temporal),
      '--ui-ip', HOST, '--ui-port', String(PORTS.temporalUi),
      '--metrics-port', String(PORTS.temporalMetrics),
      '--db-filename', join(stateDir, 'temporal.sqlite'),
      '--namespace', TEMPORAL_NAMESPACE,
      '--log-level', 'warn',
      // schedules created by rotator carry this marker, so sync deletes only its own
      '--search-attribute', 'RotatorSecretId=Keyword',
    ]);
  },
};

const postgres: Service = {
  name: 'postgres',
  address: () => `${HOST}:${PORTS.postgres}`,
  async healthy() {
    const c = new Client({ host: HOST, port: PORTS.postgres, user: 'postgres', password: pgPassword(), database: 'postgres', connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  },
  async start() {
    const bin = postgresBinaries();
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? 'postgres' : undefined;
    // a cluster whose superuser password we no longer have is of no use: start it afresh
    if (!existsSync(join(pgDataDir, 'PG_VERSION')) || !existsSync(join(stateDir, 'pg-superuser-password'))) {
      rmSync(pgDataDir, { recursive: true, force: true });
      // the parent must be traversable by the server's user; the data directory is its alone
      mkdirSync(dirname(pgDataDir), { recursive: true, mode: 0o755 });
      mkdirSync(pgDataDir, { mode: 0o700 });
      // the password file must be readable by the server's user for initdb, and only by it
      const pwfile = join(pgDataDir, '..', `.pwfile-${process.pid}`);
      writeFileAtomic(pwfile, pgPassword());
      if (asRoot) {
        const { uid, gid } = postgresIds();
        chownSync(pgDataDir, uid, gid);
        chownSync(pwfile, uid, gid);
      }
      try {
        run(join(bin, 'initdb'), ['-D', pgDataDir, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C'], { user });
      } finally {
        rmSync(pwfile, { force: true });
      }
      const conf = [
        `listen_addresses = '${HOST}'`,
        `port = ${PORTS.postgres}`,
        `unix_socket_directories = '${pgDataDir}'`,
        `password_encryption = 'scram-sha-256'`,
        `max_connections = 400`,
        // the tests read this log to prove no plaintext password reaches the server
        `log_statement = 'ddl'`,
        `log_connections = on`,
        `log_disconnections = on`,
        `log_line_prefix = '%m [%p] %q%u@%d %h '`,
      ].join('\n');
      writeFileSync(join(pgDataDir, 'postgresql.conf'), `${readFileSync(join(pgDataDir, 'postgresql.conf'), 'utf8')}\n# rotator local services\n${conf}\n`);
    }
    run(join(bin, 'pg_ctl'), ['-D', pgDataDir, '-l', pgLogFile(), '-w', '-t', '60', 'start'], { user });
    writeFileSync(pidFile('postgres'), readFileSync(join(pgDataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  },
};

function postgresIds(): { uid: number; gid: number } {
  return { uid: Number(run('id', ['-u', 'postgres'])), gid: Number(run('id', ['-g', 'postgres'])) };
}

/** The server log, inside the data directory so the server's own user can write it. */
export const pgLogFile = () => join(pgDataDir, 'server.log');

const openbaoAuditLog = () => join(stateDir, 'openbao-audit.log');

const openbao: Service = {
  name: 'openbao',
  address: () => `http://${HOST}:${PORTS.openbao}`,
  healthy: () => httpOk(`http://${HOST}:${PORTS.openbao}/v1/sys/health`),
  async start() {
    const bin = openbaoBinary();
    // OpenBao refuses audit devices through the API; they are declared in configuration
    const config = join(stateDir, 'openbao.hcl');
    // accessors in clear, so a leak response can revoke the tokens that read a secret
    writeFileSync(config, `audit "file" "file" {\n  options {\n    file_path = ${JSON.stringify(openbaoAuditLog())}\n    hmac_accessor = "false"\n  }\n}\n`);
    // dev mode keeps its data in memory: a restart starts from empty, configured again below
    daemon('openbao', bin, ['server', '-dev', `-dev-root-token-id=${OPENBAO_ROOT_TOKEN}`, `-dev-listen-address=${HOST}:${PORTS.openbao}`, `-config=${config}`]);
  },
  async configure() {
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`http://${HOST}:${PORTS.openbao}/v1/${path}`, {
        method,
        headers: { 'X-Vault-Token': OPENBAO_ROOT_TOKEN, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!r.ok && !(r.status === 400 && (await r.text()).includes('already in use'))) throw new Error(`OpenBao ${method} ${path}: HTTP ${r.status}`);
    };
    const mounts = (await (await fetch(`http://${HOST}:${PORTS.openbao}/v1/sys/mounts`, { headers: { 'X-Vault-Token': OPENBAO_ROOT_TOKEN } })).json()) as Record<string, unknown>;
    if (!('pki/' in mounts)) await api('POST', 'sys/mounts/pki', { type: 'pki', config: { max_lease_ttl: '87600h' } });
    if (!('database/' in mounts)) await api('POST', 'sys/mounts/database', { type: 'database' });
    await api('POST', 'sys/auth/approle', { type: 'approle' });
  },
};

const moto: Service = {
  name: 'moto',
  address: () => `http://${HOST}:${PORTS.moto}`,
  healthy: () => httpOk(`http://${HOST}:${PORTS.moto}/moto-api/data.json`),
  async start() {
    daemon('moto', motoBinary(), ['-H', HOST, '-p', String(PORTS.moto)]);
  },
};

const SERVICES: Service[] = [postgres, openbao, moto, temporal];

// ---------------------------------------------------------------- lock, start, stop, env

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(stateDir, '.lock');
  const deadline = Date.now() + 45 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock older than the longest build belongs to a process that died
      if (Date.now() - statSync(lock).mtimeMs > 45 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** What `startServices` did: the services it started (empty when all were already up). */
export interface StartReport {
  started: string[];
  env: ServiceEnv;
}

/** Starts every service that is not already running and healthy; configures the new ones. */
export async function startServices(): Promise<StartReport> {
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  return withLock(async () => {
    const started: string[] = [];
    for (const svc of SERVICES) {
      if (recordedPid(svc.name) !== undefined && (await svc.healthy())) {
        say(`${svc.name} already running at ${svc.address()}`);
        continue;
      }
      if (svc.name !== 'postgres' && recordedPid(svc.name) === undefined && (await portOpen(Number(svc.address().split(':').pop())))) {
        throw new Error(`port ${svc.address()} for ${svc.name} is taken by a process rotator did not start; set ROTATOR_PORT_BASE to use other ports`);
      }
      await svc.start();
      await waitHealthy(svc, svc.name === 'temporal' ? 90 : 60);
      await svc.configure?.();
      started.push(svc.name);
      say(`${svc.name} ready at ${svc.address()}`);
    }
    say(`Temporal Web UI at http://${HOST}:${PORTS.temporalUi}`);
    return { started, env: serviceEnv() };
  });
}

/** Stops every service rotator started. */
export async function stopServices(): Promise<void> {
  for (const svc of [...SERVICES].reverse()) {
    const pid = recordedPid(svc.name);
    if (pid === undefined) continue;
    if (svc.name === 'postgres') {
      run(join(postgresBinaries(), 'pg_ctl'), ['-D', pgDataDir, '-m', 'fast', '-w', 'stop'], { user: process.getuid?.() === 0 ? 'postgres' : undefined });
    } else {
      process.kill(-pid, 'SIGTERM');
      for (let i = 0; i < 40 && alive(pid); i++) await sleep(250);
      if (alive(pid)) process.kill(-pid, 'SIGKILL');
    }
    rmSync(pidFile(svc.name), { force: true });
    say(`${svc.name} stopped`);
  }
}

/** Which services are running. */
export async function serviceStatus(): Promise<Array<{ name: string; address: string; running: boolean }>> {
  return Promise.all(SERVICES.map(async (s) => ({ name: s.name, address: s.address(), running: recordedPid(s.name) !== undefined && (await s.healthy()) })));
}

/** The environment a test or the worker needs to reach the running services. */
export function serviceEnv(): ServiceEnv {
  const pw = pgPassword();
  return {
    TEMPORAL_ADDRESS: temporal.address(),
    TEMPORAL_NAMESPACE,
    TEMPORAL_UI_URL: `http://${HOST}:${PORTS.temporalUi}`,
    PGHOST: HOST,
    PGPORT: String(PORTS.postgres),
    PGUSER: 'postgres',
    PGPASSWORD: pw,
    PGDATABASE: 'postgres',
    DATABASE_URL: `postgres://postgres:${encodeURIComponent(pw)}@${HOST}:${PORTS.postgres}/postgres`,
    PG_LOG_FILE: pgLogFile(),
    VAULT_ADDR: openbao.address(),
    VAULT_TOKEN: OPENBAO_ROOT_TOKEN,
    BAO_ADDR: openbao.address(),
    VAULT_AUDIT_LOG: openbaoAuditLog(),
    AWS_ENDPOINT_URL: moto.address(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    ROTATOR_CODEC_KEYS: codecKeys(),
    ROTATOR_SERVICES_STATE: stateDir,
    ROTATOR_SERVICE_VERSIONS: Object.entries(VERSIONS).map(([k, v]) => `${k}@${v}`).join(','),
  };
}
