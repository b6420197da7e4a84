/**
 * Benchmark-only workflows: the engine's own cost, with activities that do nothing, so what
 * is measured is Temporal's round trips on this server (the same worker options, codec and
 * server as a rotation).
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

/** The no-op activity the round-trip workflows call. */
export interface NoopActivities {
  noop(step: number): Promise<number>;
}

const remote = proxyActivities<NoopActivities>({ startToCloseTimeout: '60s' });
const local = proxyLocalActivities<NoopActivities>({ startToCloseTimeout: '60s' });

/** `steps` activities one after the other, as a rotation runs its six. */
export async function activityRoundTrips(steps: number): Promise<number> {
  let n = 0;
  for (let i = 0; i < steps; i++) n += await remote.noop(i);
  return n;
}

/** The same with local activities: run by the worker inside the workflow task, recorded as markers. */
export async function localActivityRoundTrips(steps: number): Promise<number> {
  let n = 0;
  for (let i = 0; i < steps; i++) n += await local.noop(i);
  return n;
}
