/**
 * The `rotator` command. Every command reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and
 * ROTATOR_INVENTORY; errors are one line (ROTATOR_DEBUG=1 adds the stack).
 */
import { Command, CommanderError } from 'commander';
import { cliContext, type CliContext } from './context';
import { runWorker } from './commands/worker';
import { validate } from './commands/validate';
import { rotate, steer } from './commands/rotate';
import { EXIT, reportAndExit } from './errors';

function withContext<A extends unknown[]>(fn: (ctx: CliContext, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    const ctx = cliContext();
    try {
      await fn(ctx, ...args);
    } finally {
      await ctx.close();
    }
  };
}

export function program(): Command {
  const p = new Command('rotator')
    .description('secret rotation on Temporal: dual-account database swaps, API keys, certificates, leak response')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  p.command('worker')
    .description('run the worker until SIGINT/SIGTERM')
    .option('--max-cached-workflows <n>', 'sticky workflow cache size', (v) => Number(v))
    .action(withContext((ctx, o: { maxCachedWorkflows?: number }) => runWorker(ctx, o)));

  p.command('validate')
    .description('check an inventory and print every error')
    .argument('[file]', 'inventory file (default: ROTATOR_INVENTORY or ./rotations.yaml)')
    .action(async (file?: string) => validate(file ?? process.env.ROTATOR_INVENTORY ?? './rotations.yaml'));

  p.command('rotate')
    .description('start a rotation; exit 0 rotated, 1 rolled back or failed, 2 refused')
    .argument('<secretId>')
    .option('--grace <duration>', 'grace period for this run (at least the consumer cache TTL)')
    .option('--wait', 'show live progress and exit with the outcome')
    .option('--join', 'if a rotation of this secret runs, follow it instead of refusing')
    .action(withContext((ctx, id: string, o: { grace?: string; wait?: boolean; join?: boolean }) => rotate(ctx, id, o)));

  p.command('skip-grace').description('end the running grace period now').argument('<secretId>').action(withContext((ctx, id: string) => steer(ctx, 'skip-grace', id)));
  p.command('extend-grace').description('lengthen the running grace period').argument('<secretId>').argument('<duration>').action(withContext((ctx, id: string, d: string) => steer(ctx, 'extend-grace', id, d)));
  p.command('approve').description('approve a rotation awaiting approval (not by its requester)').argument('<secretId>').action(withContext((ctx, id: string) => steer(ctx, 'approve', id)));
  p.command('abort').description('stop a rotation and roll it back').argument('<secretId>').option('--reason <text>').action(withContext((ctx, id: string, o: { reason?: string }) => steer(ctx, 'abort', id, o.reason)));
  return p;
}

if (require.main === module || process.argv[1]?.endsWith('rotator.js')) {
  program()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      if (err instanceof CommanderError) {
        // --help and --version end here too, with exit code 0
        process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.refused;
        return;
      }
      reportAndExit(err);
    });
}
