/**
 * What Temporal remembers of a secret's rotations. Visibility lists the runs of
 * `rotation/<secretId>` (newest first); a run's outcome (rotated, rolled back, failed) is in
 * its result, read from the run's close event. Every read is bounded: at most `maxRuns`
 * runs per secret, and only as far back as the namespace's retention keeps them.
 */
import { type Client, WorkflowFailedError, type WorkflowExecutionInfo } from '@temporalio/client';
import { rotationWorkflowId } from '../workflows/ids';
import type { RotationOutcome, RotationResult } from '../workflows/types';

/** How a run ended: a rotation's own outcome, or what Temporal did to it. */
export type RunOutcome = RotationOutcome | 'cancelled' | 'terminated' | 'timed-out';

/** One closed run of a secret's rotation. */
export interface RotationRun {
  workflowId: string;
  runId: string;
  startedAt: string;
  closedAt: string;
  outcome: RunOutcome;
  failedStep?: string;
  reason?: string;
}

/** A secret's recent history. */
export interface RotationHistory {
  /** The newest run that rotated. */
  lastRotated?: RotationRun;
  /** The newest closed run, whatever its outcome. */
  lastRun?: RotationRun;
  /** Closed runs that ended at or after `since`, newest first. */
  recent: RotationRun[];
  /** More runs exist than were read (maxRuns): older ones were not looked at. */
  truncated: boolean;
}

const BATCH = 10;

/**
 * Reads closed runs newest first until it has the last successful rotation and every run
 * since `since`, or `maxRuns` runs.
 */
export async function rotationHistory(client: Client, secretId: string, o: { since: Date; maxRuns?: number }): Promise<RotationHistory> {
  const maxRuns = o.maxRuns ?? 100;
  const history: RotationHistory = { recent: [], truncated: false };
  const query = `WorkflowId = ${quote(rotationWorkflowId(secretId))} AND ExecutionStatus != 'Running'`;
  let batch: WorkflowExecutionInfo[] = [];
  let read = 0;
  // returns true when nothing older can change the answer
  const settle = async (): Promise<boolean> => {
    const runs = await Promise.all(batch.map((info) => closedRun(client, info)));
    batch = [];
    for (const run of runs) {
      if (!run) continue;
      history.lastRun ??= run;
      if (run.outcome === 'rotated') history.lastRotated ??= run;
      if (Date.parse(run.closedAt) >= o.since.getTime()) history.recent.push(run);
      else if (history.lastRotated) return true;
    }
    return false;
  };
  for await (const info of client.workflow.list({ query, pageSize: BATCH * 2 })) {
    if (read === maxRuns) {
      history.truncated = true;
      break;
    }
    batch.push(info);
    read++;
    if (batch.length === BATCH && (await settle())) return history;
  }
  await settle();
  return history;
}

async function closedRun(client: Client, info: WorkflowExecutionInfo): Promise<RotationRun | undefined> {
  const base = { workflowId: info.workflowId, runId: info.runId, startedAt: info.startTime.toISOString(), closedAt: (info.closeTime ?? info.startTime).toISOString() };
  switch (info.status.name) {
    case 'COMPLETED': {
      const r = (await client.workflow.getHandle(info.workflowId, info.runId, { followRuns: false }).result()) as RotationResult;
      return { ...base, outcome: r.outcome, failedStep: r.failedStep, reason: r.reason };
    }
    case 'FAILED':
      try {
        await client.workflow.getHandle(info.workflowId, info.runId, { followRuns: false }).result();
        return { ...base, outcome: 'failed' };
      } catch (err) {
        const cause = err instanceof WorkflowFailedError ? err.cause?.message : undefined;
        return { ...base, outcome: 'failed', reason: cause ?? 'the workflow failed' };
      }
    case 'CANCELLED':
      return { ...base, outcome: 'cancelled', reason: 'cancelled (a leak response cancels a running rotation, which compensates)' };
    case 'TERMINATED':
      return { ...base, outcome: 'terminated', reason: 'terminated by an operator or the server' };
    case 'TIMED_OUT':
      return { ...base, outcome: 'timed-out', reason: 'the workflow timed out' };
    default:
      return undefined; // continued-as-new: its successor run carries the outcome
  }
}

/** How long the namespace keeps closed workflows: the reach of every history read here. */
export async function historyRetentionMs(client: Client): Promise<number | undefined> {
  const ns = await client.workflowService.describeNamespace({ namespace: client.options.namespace });
  const ttl = ns.config?.workflowExecutionRetentionTtl;
  return ttl ? Number(ttl.seconds ?? 0) * 1000 + Math.floor((ttl.nanos ?? 0) / 1e6) : undefined;
}

/** A visibility-query string literal. */
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
