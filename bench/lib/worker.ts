/**
 * The production worker, `rotator worker`, as a child process of the benchmark: the figures
 * are those of what users run, and its memory is its own (/proc/<pid>/status).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', 'bin', 'rotator.js');

/** A running `rotator worker`. */
export interface WorkerProcess {
  pid: number;
  /** Resident memory now and its peak (VmHWM), in MiB. */
  memory(): { rssMiB: number; peakMiB: number };
  /** Resets the peak (VmHWM) to the current RSS, so start-up (bundling) does not count. */
  resetPeak(): boolean;
  stop(): Promise<void>;
}

/** Starts `rotator worker` with `env` and waits until it says it runs; its output goes to `logFile`. */
export async function startWorker(env: NodeJS.ProcessEnv, logFile: string, args: string[] = []): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'worker', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // if the benchmark dies, the worker goes with it (no orphan polling the bench namespace)
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  child.once('exit', () => process.removeListener('exit', orphan));
  const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  let seen = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rotator worker did not start within 180 s; see ${logFile}`)), 180_000);
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      if (seen.length < 100_000) seen += chunk.toString();
      if (seen.includes('worker running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`rotator worker exited during start-up (${signal ?? code}); see ${logFile}`));
    });
  });
  try {
    await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const pid = child.pid!;
  const status = () => readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return {
    pid,
    memory() {
      const s = status();
      return { rssMiB: kb(s, 'VmRSS') / 1024, peakMiB: kb(s, 'VmHWM') / 1024 };
    },
    resetPeak() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5'); // 5: reset the peak resident set size
        return true;
      } catch {
        return false;
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM'); // graceful: in-flight activities get the shutdown grace time
      const hard = setTimeout(() => child.kill('SIGKILL'), 45_000);
      await exited;
      clearTimeout(hard);
      log.end();
    },
  };
}
