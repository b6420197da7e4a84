/**
 * Failure messages and stack traces are encoded like payloads (so the codec encrypts them):
 * an error can carry more than we meant it to. Loaded by path, also inside the workflow sandbox.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
