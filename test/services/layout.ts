/**
 * Where the local services live: pinned versions, ports, and the cache directory that
 * holds built binaries (keyed by version) and service state, outside the repository.
 */
import { join } from 'node:path';
import { localCacheRoot, localStateDir } from '../../client/local-stack';

/** Pinned tool versions; a binary is rebuilt only when its version changes. */
export const VERSIONS = {
  temporal: 'v1.5.1',
  openbao: 'v2.4.0',
  moto: '5.2.5',
  postgres: '15',
} as const;

/** Every service listens on 127.0.0.1 on its own port (override with ROTATOR_PORT_BASE). */
const base = Number(process.env.ROTATOR_PORT_BASE ?? 17000);
export const PORTS = {
  temporal: base + 233,
  temporalUi: base + 234,
  temporalMetrics: base + 235,
  postgres: base + 432,
  openbao: base + 200,
  moto: base + 500,
} as const;

export const HOST = '127.0.0.1';

export const cacheRoot = localCacheRoot;
export const binDir = (tool: string, version: string) => join(cacheRoot, 'bin', `${tool}-${version}`);
export const stateDir = localStateDir;
export const logDir = join(stateDir, 'logs');

/**
 * PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user,
 * in a directory that user can reach (a home directory under /root is not).
 */
export const pgDataDir =
  process.getuid?.() === 0 ? join('/var/lib/rotator', `pg${VERSIONS.postgres}-${base}`) : join(stateDir, `pg${VERSIONS.postgres}`);
export const pgBinDir = `/usr/lib/postgresql/${VERSIONS.postgres}/bin`;

export const OPENBAO_ROOT_TOKEN = 'rotator-dev-root';
export const TEMPORAL_NAMESPACE = 'default';
