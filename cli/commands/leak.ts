/**
 * `rotator leak <id> --where TEXT [--detected-at ISO] [--exposed-since ISO] [--sla D] [--wait]`:
 * manual emergency revocation. Starts the leak-response playbook; with --wait it prints each
 * step as it completes, then the containment time against the target, and exits 1 if
 * containment failed (0 when contained, even late: the post-mortem records the breach).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { type LeakPlan, leakPlan, startLeakResponse } from '../../client/leaks';
import { PlanError } from '../../client/plans';
import { formatDuration } from '../../inventory';
import { leakProgressQuery } from '../../workflows/messages';
import type { LeakProgress, LeakResult, StepProgress } from '../../workflows/types';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { durationArg, operator } from './rotate';

/** The options `rotator leak` takes. */
export interface LeakOptions {
  where: string;
  detectedAt?: string;
  exposedSince?: string;
  sla?: string;
  wait?: boolean;
}

export async function leak(ctx: CliContext, secretId: string, o: LeakOptions): Promise<void> {
  let plan: LeakPlan;
  try {
    plan = leakPlan(ctx.inventory(), secretId, { where: o.where, detectedAt: o.detectedAt, exposedSince: o.exposedSince, reporter: operator(), slaMs: o.sla === undefined ? undefined : durationArg(o.sla, '--sla') });
  } catch (err) {
    if (err instanceof PlanError) throw new CliError(err.message, EXIT.refused);
    throw err;
  }
  const { handle, joined } = await startLeakResponse(await ctx.client(), ctx.config.taskQueue, plan);
  process.stdout.write(`${joined ? 'already responding to this leak' : 'leak response started'} for ${secretId} (workflow ${handle.workflowId})\n`);
  if (!o.wait) return;
  const result = await followLeak(handle, process.stdout);
  if (result.outcome !== 'contained') process.exitCode = EXIT.failed;
}

const icon: Record<StepProgress['status'], string> = { running: '…', done: '✓', failed: '✗', compensated: '↺', skipped: '-' };
const seconds = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : formatDuration(Math.round(ms / 1000) * 1000));
const took = (s: StepProgress) => (s.endedAt ? ` (${seconds(Date.parse(s.endedAt) - Date.parse(s.startedAt))})` : '');

/** Prints each step as it completes, the escalation if the target passes, then the containment time. */
export async function followLeak(handle: WorkflowHandle, out: NodeJS.WritableStream, pollMs = Number(process.env.ROTATOR_POLL_MS ?? 500)): Promise<LeakResult> {
  const printed = new Set<string>();
  let escalated = false;
  const show = (p: Pick<LeakProgress, 'steps' | 'escalatedAt'>) => {
    p.steps.forEach((s, i) => {
      const key = `${i}:${s.status}`;
      if (s.status === 'running' || printed.has(key)) return;
      printed.add(key);
      out.write(`  ${icon[s.status]} ${s.name}${took(s)}${s.detail ? `: ${s.detail}` : ''}\n`);
    });
    if (p.escalatedAt && !escalated) out.write(`  ! escalated at ${p.escalatedAt}: containment not done in time, or failed\n`);
    escalated ||= p.escalatedAt !== undefined;
  };
  const done = handle.result() as Promise<LeakResult>;
  let finished = false;
  void done.then(() => (finished = true), () => (finished = true));
  while (!finished) {
    try {
      show(await handle.query(leakProgressQuery));
    } catch {
      // the query can race the workflow's completion; the result tells the rest
    }
    await Promise.race([done.catch(() => undefined), sleep(pollMs)]);
  }
  const r = await done;
  show(r);
  if (r.outcome === 'contained') {
    out.write(`contained in ${seconds(r.containmentMs!)} from detection (target ${seconds(r.slaMs)}): ${r.breached ? 'TARGET BREACHED' : 'within target'}\n`);
  } else {
    out.write(`containment FAILED${r.failedStep ? ` at ${r.failedStep}: ${r.reason}` : ''}\n`);
  }
  if (r.postMortem) out.write(`post-mortem: ${r.postMortem.path}\n`);
  return r;
}
