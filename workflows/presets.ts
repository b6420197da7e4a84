/**
 * Named activity option presets. Timeouts come from the run's timings (durations are inputs);
 * retry policies name the failure types no retry can fix.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import type { RotationTimings } from './types';

/** Failure types that no retry will fix (see activities/stores/errors.ts and activities/boundary.ts). */
export const NON_RETRYABLE = ['NotFound', 'AccessDenied', 'InvalidValue', 'VerificationFailed'];

const retry = (maximumAttempts: number) => ({ initialInterval: 500, backoffCoefficient: 2, maximumInterval: 10_000, maximumAttempts, nonRetryableErrorTypes: NON_RETRYABLE });

/** Secret-store reads and writes: idempotent, retried through throttling and outages. */
export const STORE_CALL = (t: RotationTimings): ActivityOptions => ({ startToCloseTimeout: t.activityTimeoutMs, retry: retry(20) });
/** Admin statements on the database: idempotent, retried. */
export const DATABASE_CALL = (t: RotationTimings): ActivityOptions => ({ startToCloseTimeout: t.activityTimeoutMs, retry: retry(10) });
/** Using a new credential for real: a few attempts, then it has failed. */
export const VERIFY_CALL = (t: RotationTimings): ActivityOptions => ({ startToCloseTimeout: t.activityTimeoutMs, retry: retry(3) });
