/** Failures of the leak response's own activities, typed like every rotator error. */
import { RotatorError } from '../boundary';

/** A log the incident must read (audit device, server log) cannot be read. */
export class EvidenceUnavailableError extends RotatorError {
  readonly type = 'EvidenceUnavailable';
  readonly retryable = false;
}

/** Temporal could not cancel or describe the rotation; retried. */
export class RotationControlError extends RotatorError {
  readonly type = 'RotationControl';
  readonly retryable = true;
}
