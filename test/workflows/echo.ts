// Test-only workflows: prove a workflow reaches an activity through the real server, and
// what its history keeps of the values it carried.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { EchoActivities } from '../helpers/echo-activities';

const { echo, refuse } = proxyActivities<EchoActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 1 } });

export async function echoWorkflow(marker: string): Promise<string> {
  return `workflow saw ${await echo(marker)}`;
}

export async function failingWorkflow(marker: string): Promise<void> {
  try {
    await refuse(marker);
  } catch {
    throw ApplicationFailure.nonRetryable(`workflow failed carrying ${marker}`, 'TestFailure');
  }
}
