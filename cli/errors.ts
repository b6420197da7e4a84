/**
 * How the command line ends: one clear line on stderr and an exit status, never a stack
 * trace unless ROTATOR_DEBUG is set.
 */

/** Exit statuses: 0 done, 1 failed or rolled back, 2 refused or bad usage. */
export const EXIT = { ok: 0, failed: 1, refused: 2 } as const;

/** An error whose message is written for the operator and carries its exit status. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
    super(message);
  }
}

export function reportAndExit(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`rotator: ${message}\n`);
  if (process.env.ROTATOR_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = err instanceof CliError ? err.exitCode : (err as { type?: string })?.type === 'InvalidInventory' ? EXIT.refused : EXIT.failed;
}
