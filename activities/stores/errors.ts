/**
 * Typed store errors. Each has an explicit `type` (never `constructor.name`) that becomes the
 * Temporal ApplicationFailure type at the activity boundary; retry policies list the
 * non-retryable ones. Messages are written by us and never quote a provider's response or
 * a value: a provider's message can echo what it was sent.
 */
import { RotatorError } from '../boundary';
import type { SecretRef } from './types';

/** The kinds of store failure; a `Record<StoreErrorType, …>` makes the compiler name a forgotten one. */
export type StoreErrorType = 'NotFound' | 'AccessDenied' | 'Conflict' | 'Throttled' | 'Unavailable' | 'InvalidValue';

/** Base class of every store failure; it crosses the activity boundary like every RotatorError. */
export abstract class StoreError extends RotatorError {
  abstract override readonly type: StoreErrorType;
  constructor(readonly ref: SecretRef | undefined, message: string) {
    super(ref ? `${ref.store}:${ref.path}: ${message}` : message);
  }
}

/** The secret, or the asked-for version, does not exist. */
export class NotFoundError extends StoreError {
  readonly type = 'NotFound';
  readonly retryable = false;
}
/** The caller's identity may not do this; retrying will not help. */
export class AccessDeniedError extends StoreError {
  readonly type = 'AccessDenied';
  readonly retryable = false;
}
/** Another writer got there first (cas mismatch, token reused with other content). */
export class ConflictError extends StoreError {
  readonly type = 'Conflict';
  readonly retryable = true;
}
/** The store asked us to slow down. */
export class ThrottledError extends StoreError {
  readonly type = 'Throttled';
  readonly retryable = true;
}
/** The store could not be reached or failed on its side. */
export class UnavailableError extends StoreError {
  readonly type = 'Unavailable';
  readonly retryable = true;
}
/** The store refused the value or request as malformed. */
export class InvalidValueError extends StoreError {
  readonly type = 'InvalidValue';
  readonly retryable = false;
}
