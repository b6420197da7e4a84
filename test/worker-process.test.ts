/**
 * `rotator worker` as operators run it: a real process that connects, runs, and on SIGTERM or
 * SIGINT shuts down gracefully and exits 0.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers/wait';

const bin = join(__dirname, '..', 'bin', 'rotator.js');

describe('rotator worker', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops gracefully on %s', async (signal) => {
    const child = spawn(process.execPath, [bin, 'worker'], {
      env: { ...process.env, ROTATOR_INVENTORY: join(__dirname, '..', 'examples', 'rotations.yaml'), ROTATOR_TASK_QUEUE: `worker-proc-${randomUUID()}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(() => err.includes('worker running'), { what: 'the worker to start', timeoutMs: 60_000 });
    child.kill(signal);
    expect(await exit).toBe(0);
    expect(err).toContain('worker stopped');
  });

  it('refuses a broken inventory with its exact problems and exit status 2', async () => {
    const child = spawn(process.execPath, [bin, 'worker'], {
      env: { ...process.env, ROTATOR_INVENTORY: join(__dirname, 'fixtures', 'inventories', 'duplicate-ids.yaml') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err).toContain('duplicate secret id "payments-db": secrets[0] already uses it');
  });
});
