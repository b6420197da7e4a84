/**
 * `npm run services [-- start|stop|env|status]`: the real local services for tests and `npm start`.
 * `env` prints NAME=value lines on stdout and nothing else; progress goes to stderr.
 */
import { MissingToolError } from './tools';
import { serviceEnv, serviceStatus, startServices, stopServices } from './services';

async function main(cmd: string): Promise<void> {
  switch (cmd) {
    case 'start': {
      const { env } = await startServices();
      for (const k of ['TEMPORAL_ADDRESS', 'TEMPORAL_UI_URL', 'DATABASE_URL', 'VAULT_ADDR', 'AWS_ENDPOINT_URL']) process.stderr.write(`  ${k}=${k === 'DATABASE_URL' ? env[k].replace(/:[^:@/]+@/, ':***@') : env[k]}\n`);
      process.stderr.write('print them all with: npm run --silent services -- env\n');
      return;
    }
    case 'stop':
      return stopServices();
    case 'env': {
      const down = (await serviceStatus()).filter((s) => !s.running);
      if (down.length > 0) throw new Error(`not running: ${down.map((s) => s.name).join(', ')}; start them with: npm run services`);
      for (const [k, v] of Object.entries(serviceEnv())) process.stdout.write(`${k}=${v}\n`);
      return;
    }
    case 'status':
      for (const s of await serviceStatus()) process.stdout.write(`${s.name.padEnd(9)} ${s.running ? 'running' : 'stopped'}  ${s.address}\n`);
      return;
    default:
      throw new Error(`unknown command "${cmd}"; use start, stop, env or status`);
  }
}

main(process.argv[2] ?? 'start').catch((err: unknown) => {
  process.stderr.write(`services: ${err instanceof MissingToolError || err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
