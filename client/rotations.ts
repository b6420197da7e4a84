/**
 * Starting and steering rotations, for the CLI, chat and schedules alike. One rotation per
 * secret: the workflow id is `rotation/<secretId>`, and a second start while one runs is
 * refused (or, when asked, joins the running one).
 */
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { rotationWorkflowId } from '../workflows/ids';
import type { RotationPlan } from './plans';

/** The workflow id of a secret's rotation (defined with the workflows, which use it too). */
export { rotationWorkflowId };

/** A rotation of this secret is already running. */
export class AlreadyRunningError extends Error {
  readonly type = 'AlreadyRunning';
}

/** Starts the plan's workflow; refuses if one runs for the secret, unless `join`. */
export async function startRotation(client: Client, taskQueue: string, plan: RotationPlan, o: { join?: boolean } = {}): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const workflowId = rotationWorkflowId(plan.input.secretId);
  try {
    return await client.workflow.start(plan.workflowType, {
      taskQueue,
      workflowId,
      args: [plan.input],
      workflowIdConflictPolicy: o.join ? WorkflowIdConflictPolicy.USE_EXISTING : WorkflowIdConflictPolicy.FAIL,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new AlreadyRunningError(`a rotation of ${plan.input.secretId} is already running (workflow ${workflowId}); watch it with: rotator status ${plan.input.secretId}`);
    }
    throw err;
  }
}
