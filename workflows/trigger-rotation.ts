/**
 * What a Temporal Schedule starts. The server suffixes the ids of scheduled workflows with
 * their scheduled time, so a schedule cannot start `rotation/<id>` itself without breaking
 * "one rotation per secret". It starts this small workflow, which starts the rotation as a
 * child under the fixed id, or records that one is already running and ends.
 *
 * A child rather than an activity calling the client: the start is a command in this
 * workflow's history, so a retried workflow task never starts twice and a worker crash after
 * the start cannot be mistaken for "already running"; no Temporal client lives in activities.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, WorkflowIdReusePolicy, log, startChild } from '@temporalio/workflow';
import { rotationWorkflowId } from './ids';
import type { PostgresRotationInput } from './types';

/** The rotation a schedule starts: built from the inventory at sync time, references and durations only. */
export interface ScheduledRotation {
  workflowType: 'rotatePostgresDualAccount';
  input: PostgresRotationInput;
}

/** What one scheduled start did. */
export interface TriggerResult {
  secretId: string;
  workflowId: string;
  outcome: 'started' | 'skipped';
  /** The run started, when one was. */
  runId?: string;
  reason?: string;
}

export async function triggerRotation(rotation: ScheduledRotation): Promise<TriggerResult> {
  const { secretId } = rotation.input;
  const workflowId = rotationWorkflowId(secretId);
  try {
    const child = await startChild(rotation.workflowType, {
      workflowId,
      args: [rotation.input],
      // the rotation outlives this trigger: ending the trigger must neither cancel nor terminate it
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // a finished rotation does not block the next; a running one does (the server refuses the start)
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    log.info('scheduled rotation started', { secretId, workflowId, runId: child.firstExecutionRunId });
    return { secretId, workflowId, outcome: 'started', runId: child.firstExecutionRunId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    log.info('scheduled rotation skipped: already running', { secretId, workflowId });
    return { secretId, workflowId, outcome: 'skipped', reason: 'already running' };
  }
}
