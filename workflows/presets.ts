/**
 * Named activity option presets. Timeouts come from the run's timings (durations are inputs);
 * retry policies name the failure types no retry can fix.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import type { LeakTimings, RotationTimings } from './types';

/** Failure types that no retry will fix: the non-retryable StoreErrorType values and VerificationFailed (activities/). */
export const NON_RETRYABLE = ['NotFound', 'AccessDenied', 'InvalidValue', 'VerificationFailed'];

/** Every preset needs only the per-attempt timeout, so the leak response's timings fit too. */
type Timeout = Pick<RotationTimings, 'activityTimeoutMs'>;

const retry = (maximumAttempts: number) => ({ initialInterval: 500, backoffCoefficient: 2, maximumInterval: 10_000, maximumAttempts, nonRetryableErrorTypes: NON_RETRYABLE });

/** Secret-store reads and writes: idempotent, retried through throttling and outages. */
export const STORE_CALL = (t: Timeout): ActivityOptions => ({ startToCloseTimeout: t.activityTimeoutMs, retry: retry(20) });
/** Admin statements on the database: idempotent, retried. */
export const DATABASE_CALL = (t: Timeout): ActivityOptions => ({ startToCloseTimeout: t.activityTimeoutMs, retry: retry(10) });
/** Using a new credential for real: a few attempts, then it has failed. */
export const VERIFY_CALL = (t: Timeout): ActivityOptions => ({ startToCloseTimeout: t.activityTimeoutMs, retry: retry(3) });
/** DATABASE_CALL as a local activity: run by the worker inside the workflow task, no server round trip. */
export const LOCAL_DATABASE_CALL = (t: Timeout): LocalActivityOptions => ({ startToCloseTimeout: t.activityTimeoutMs, retry: retry(10) });
/** VERIFY_CALL as a local activity. */
export const LOCAL_VERIFY_CALL = (t: Timeout): LocalActivityOptions => ({ startToCloseTimeout: t.activityTimeoutMs, retry: retry(3) });
/** Notifications: a few quick attempts; a sink that is down must not hold the playbook up. */
export const NOTIFY_CALL = (t: Timeout): ActivityOptions => ({ startToCloseTimeout: Math.min(t.activityTimeoutMs, 15_000), retry: retry(3) });
/** Reading logs and revoking tokens during an incident: idempotent, retried. */
export const INCIDENT_CALL = (t: Timeout): ActivityOptions => ({ startToCloseTimeout: t.activityTimeoutMs, retry: retry(5) });
/**
 * Cancelling a rotation and waiting while it compensates: as long as the compensation may take,
 * heartbeating so a lost worker is noticed within a few polls.
 */
export const CANCEL_ROTATION_CALL = (t: LeakTimings): ActivityOptions => ({
  startToCloseTimeout: t.rotationCancelTimeoutMs + t.activityTimeoutMs,
  heartbeatTimeout: Math.max(5 * t.pollMs, 5_000),
  retry: retry(5),
});
