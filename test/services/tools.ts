/**
 * Getting the service binaries: a tool already on PATH when its version fits, otherwise one
 * built from a registry (Go module proxy, PyPI) into the cache, keyed by version.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VERSIONS, binDir, pgBinDir } from './layout';

/** A tool we cannot get; its message says what to install. */
export class MissingToolError extends Error {}

const say = (line: string) => process.stderr.write(`services: ${line}\n`);

function onPath(cmd: string, versionArgs: string[]): string | undefined {
  const r = spawnSync(cmd, versionArgs, { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? `${r.stdout}${r.stderr}` : undefined;
}

function requireTool(cmd: string, why: string): void {
  if (onPath(cmd, ['version']) === undefined && onPath(cmd, ['--version']) === undefined) {
    throw new MissingToolError(`${cmd} is not installed; ${why}`);
  }
}

/** Runs a build step with its output on stderr; a failure names the step. */
function build(what: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  say(`building ${what} (once; cached afterwards)…`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: opts.cwd, env: { ...process.env, ...opts.env }, timeout: 40 * 60_000 });
  if (r.status !== 0) throw new Error(`building ${what} failed (exit ${r.status ?? r.signal}); see the output above`);
  say(`built ${what} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** The Temporal CLI (dev server): PATH if it is v1.5.x, else `go install` at the pinned tag. */
export function temporalBinary(): string {
  const found = onPath('temporal', ['--version']);
  if (found?.includes(`version ${VERSIONS.temporal.slice(1, 4)}`)) return 'temporal';
  const dir = binDir('temporal', VERSIONS.temporal);
  const bin = join(dir, 'temporal');
  if (existsSync(bin)) return bin;
  requireTool('go', 'install Go >= 1.24 (https://go.dev/doc/install) to build the Temporal CLI, or put temporal v1.5.x on PATH');
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  build(`temporal ${VERSIONS.temporal}`, 'go', ['install', `github.com/temporalio/cli/cmd/temporal@${VERSIONS.temporal}`], { env: { GOBIN: tmp } });
  renameSync(tmp, dir);
  return bin;
}

/**
 * OpenBao: PATH if `bao` has the pinned version, else built from the pinned wrapper module in
 * test/services/openbao (OpenBao's own go.mod has replace directives that `go install` refuses).
 */
export function openbaoBinary(): string {
  const found = onPath('bao', ['version']);
  if (found?.includes(`OpenBao ${VERSIONS.openbao}`)) return 'bao';
  const dir = binDir('openbao', VERSIONS.openbao);
  const bin = join(dir, 'bao');
  if (existsSync(bin)) return bin;
  requireTool('go', 'install Go >= 1.24 (https://go.dev/doc/install) to build OpenBao, or put bao on PATH');
  mkdirSync(dir, { recursive: true });
  // the release version is stamped at link time, as OpenBao's own release build does
  const ldflags = `-X github.com/openbao/openbao/version.fullVersion=${VERSIONS.openbao.slice(1)}`;
  build(`openbao ${VERSIONS.openbao}`, 'go', ['build', '-trimpath', '-ldflags', ldflags, '-o', `${bin}.partial`, '.'], { cwd: join(__dirname, 'openbao') });
  renameSync(`${bin}.partial`, bin);
  return bin;
}

/** moto's server, from PyPI, in a virtualenv in the cache. */
export function motoBinary(): string {
  const dir = binDir('moto', VERSIONS.moto);
  const bin = join(dir, 'venv', 'bin', 'moto_server');
  if (existsSync(bin)) return bin;
  requireTool('python3', 'install Python >= 3.9 with the venv module (Debian: apt-get install python3-venv) to run moto');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  build('python venv for moto', 'python3', ['-m', 'venv', join(dir, 'venv')]);
  build(`moto[server] ${VERSIONS.moto}`, join(dir, 'venv', 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `moto[server]==${VERSIONS.moto}`]);
  return bin;
}

/** PostgreSQL's server binaries (Debian's postgresql-15 package). */
export function postgresBinaries(): string {
  if (!existsSync(join(pgBinDir, 'postgres'))) {
    throw new MissingToolError(`PostgreSQL ${VERSIONS.postgres} is not installed at ${pgBinDir}; install it (Debian: apt-get install postgresql-${VERSIONS.postgres})`);
  }
  return pgBinDir;
}

/** Runs a short command and returns its stdout; a failure carries its stderr. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; user?: string } = {}): string {
  const [file, argv] = opts.user ? ['runuser', ['-u', opts.user, '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, { encoding: 'utf8', env: { ...process.env, ...opts.env }, timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
}
