/**
 * `npm start`: the main job on its embedded default. Starts the local real services, then
 * runs the worker against ROTATOR_INVENTORY, ./rotations.yaml, or the shipped example.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startServices } from '../test/services/services';
import { seedDemo } from './demo-seed';

async function main(): Promise<void> {
  const { env } = await startServices();
  const example = join(__dirname, '..', 'examples', 'rotations.yaml');
  const inventory = process.env.ROTATOR_INVENTORY ?? (existsSync('rotations.yaml') ? 'rotations.yaml' : example);
  if (resolve(inventory) === example) {
    await seedDemo(env);
    process.stderr.write(
      'start: demo ready; to rotate it, in another shell:\n' +
        `  eval "$(npm run --silent services -- env | sed 's/^/export /')"; ROTATOR_INVENTORY=${inventory} npx rotator rotate payments-db --grace 5s --wait\n`,
    );
  }
  process.stderr.write(`start: worker against ${resolve(inventory)}; Temporal Web UI at ${env.TEMPORAL_UI_URL}\n`);
  const child = spawn(process.execPath, [join(__dirname, '..', 'bin', 'rotator.js'), 'worker'], {
    stdio: 'inherit',
    env: { ...env, ...process.env, ROTATOR_INVENTORY: inventory },
  });
  // the worker handles SIGINT/SIGTERM itself (graceful shutdown); we only wait for it
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
