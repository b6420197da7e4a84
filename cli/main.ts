/**
 * The `rotator` command. Every command reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and
 * ROTATOR_INVENTORY; errors are one line (ROTATOR_DEBUG=1 adds the stack).
 */
import { Command, CommanderError, Option } from 'commander';
import { cliContext, type CliContext } from './context';
import { runWorker } from './commands/worker';
import { validate } from './commands/validate';
import { rotate, steer } from './commands/rotate';
import { leak, type LeakOptions } from './commands/leak';
import { pause, resume, syncSchedules, trigger } from './commands/schedules';
import { status } from './commands/status';
import { report } from './commands/report';
import { portArg, runChat } from './commands/chat';
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

  p.command('status')
    .description('per secret: type, store, last rotation, next scheduled run, running step, overdue')
    .argument('[secretId]', 'one secret (default: every secret in the inventory)')
    .option('--json', 'JSON for scripts: an object for one secret, a list otherwise')
    .action(withContext((ctx, id: string | undefined, o: { json?: boolean }) => status(ctx, id, o)));

  p.command('report')
    .description('compliance report: overdue secrets, last rotations, failures in the last 30 days, secrets not rotated for 90 days')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'json']).default('md'))
    .action(withContext((ctx, o: { format: 'md' | 'json' }) => report(ctx, o)));

  const schedules = p.command('schedules').description('Temporal Schedules from the inventory: one per secret, id schedule/<secretId>');
  schedules
    .command('sync')
    .description('create, update and delete schedules to match the inventory, printing the plan')
    .option('--dry-run', 'print the plan and change nothing')
    .action(withContext((ctx, o: { dryRun?: boolean }) => syncSchedules(ctx, o)));
  schedules.command('pause').description("stop a secret's scheduled rotations until resumed").argument('<secretId>').option('--reason <text>').action(withContext((ctx, id: string, o: { reason?: string }) => pause(ctx, id, o)));
  schedules.command('resume').description("resume a secret's paused schedule").argument('<secretId>').action(withContext((ctx, id: string) => resume(ctx, id)));
  schedules
    .command('trigger')
    .description("take a secret's scheduled action now: start its rotation, or skip if one is running")
    .argument('<secretId>')
    .option('--wait', 'wait for the trigger to say whether it started or skipped the rotation')
    .action(withContext((ctx, id: string, o: { wait?: boolean }) => trigger(ctx, id, o)));

  p.command('leak')
    .description('emergency revocation: contain a leaked secret, invalidate what read it, blast radius, post-mortem; with --wait exit 1 if containment failed')
    .argument('<secretId>')
    .requiredOption('--where <text>', 'where it leaked, in words (never the value), e.g. "pasted in a public gist"')
    .option('--detected-at <iso>', 'when the leak was detected (default: now); the containment target counts from here')
    .option('--exposed-since <iso>', 'when the exposure began, if known (default: the oldest version that may still log in)')
    .option('--sla <duration>', 'containment target, for drills (default: 15m)')
    .option('--wait', 'print each step as it completes and the containment time')
    .action(withContext((ctx, id: string, o: LeakOptions) => leak(ctx, id, o)));

  p.command('chat')
    .description('run the Slack endpoint (/rotator slash command, grace buttons) at /slack/events until SIGINT/SIGTERM; needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN')
    .option('--port <n>', 'port to listen on (default: PORT, else 3000)', portArg)
    .action(withContext((ctx, o: { port?: number }) => runChat(ctx, o)));
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
