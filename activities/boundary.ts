/**
 * The activity boundary: every error leaves an activity as an ApplicationFailure whose
 * `type` the workflow branches on and whose message we wrote. A driver's or provider's own
 * message can echo what it was sent, so only its code (SQLSTATE, errno) crosses.
 */
import { ApplicationFailure } from '@temporalio/common';

/** An error of ours: explicit type, retryable or not, message safe to show. */
export abstract class RotatorError extends Error {
  abstract readonly type: string;
  abstract readonly retryable: boolean;
}

/** The new credential did not work when used for real. */
export class VerificationFailedError extends RotatorError {
  readonly type = 'VerificationFailed';
  readonly retryable = false;
}

/** A stored value is not what this secret kind expects. */
export class InvalidSecretError extends RotatorError {
  readonly type = 'InvalidValue';
  readonly retryable = false;
}

interface Typed {
  type: string;
  retryable: boolean;
  message: string;
}

const isTyped = (e: unknown): e is Typed =>
  e instanceof Error && typeof (e as Partial<Typed>).type === 'string' && typeof (e as Partial<Typed>).retryable === 'boolean';

/** Maps any error to the failure that crosses the boundary. */
export function toFailure(err: unknown, activity: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (isTyped(err)) return ApplicationFailure.create({ type: err.type, message: err.message, nonRetryable: !err.retryable });
  const code = (err as { code?: unknown })?.code;
  return ApplicationFailure.create({
    type: 'Unexpected',
    message: `${activity} failed${typeof code === 'string' ? ` (code ${code})` : ''}`,
  });
}

/** Wraps every function of an activity object so its errors cross the boundary as failures. */
export function bounded<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toFailure(err, name);
      }
    };
  }
  return out as T;
}
