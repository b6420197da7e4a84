/**
 * The embedded default: the local services that `npm run services` starts. rotator falls back
 * to them when TEMPORAL_ADDRESS is not set, and only then reads their generated codec key.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

const portBase = Number(process.env.ROTATOR_PORT_BASE ?? 17000);

/** The local stack's cache root (binaries and state), outside any repository. */
export const localCacheRoot = process.env.ROTATOR_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rotator');
/** The local stack's state directory. */
export const localStateDir = join(localCacheRoot, `state-${portBase}`);
/** The local Temporal dev server's frontend address. */
export const localTemporalAddress = `127.0.0.1:${portBase + 233}`;
/** The codec key file generated once for the local stack (mode 0600). */
export const localCodecKeyFile = join(localStateDir, 'codec-keys');
