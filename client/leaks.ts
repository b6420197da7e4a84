/**
 * Reporting a leak, for the CLI and (later) chat: from the inventory and a report to the
 * leak-response workflow's input, and its start. One incident per secret and detection time:
 * the workflow id is `incident/<secretId>/<detectedAt>`, so a second report of the same
 * detection follows the response already under way.
 */
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { DEFAULT_PASSWORD_POLICY } from '../activities/passwords';
import type { Inventory, SecretType } from '../inventory';
import type { LeakInput, SecretKind } from '../workflows/types';
import { PlanError, findSecret } from './plans';
import { rotationWorkflowId } from './rotations';

/** The workflow id of the incident opened for a leak of `secretId` detected at `detectedAt` (ISO). */
export const incidentWorkflowId = (secretId: string, detectedAt: string) => `incident/${secretId}/${detectedAt}`;

/** The 15-minute target. */
export const DEFAULT_LEAK_SLA_MS = 15 * 60_000;

/** What a person reports. */
export interface LeakReport {
  /** Where it leaked, in words ("pasted in a public gist"): a description, never the value. */
  where: string;
  /** When it was detected; now when not given. */
  detectedAt?: string;
  reporter?: string;
  /** When the exposure began, if known; by default the oldest version that may still log in. */
  exposedSince?: string;
  /** The containment target; 15 minutes unless a drill says otherwise. */
  slaMs?: number;
}

/** The workflow type, id and input that respond to one leak. */
export interface LeakPlan {
  workflowType: 'respondToLeak';
  workflowId: string;
  input: LeakInput;
}

// the workflows' kinds and the inventory's types must be the same list: this fails to compile otherwise
const sameKinds: [SecretKind, SecretType] extends [SecretType, SecretKind] ? true : never = true;
void sameKinds;

/** An ISO time, normalised (so the incident id is the same however it was written); PlanError otherwise. */
function isoTime(text: string, what: string, now: Date): string {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(ms)) throw new PlanError(`${what}: expected an ISO time such as 2026-01-31T09:30:00Z`);
  if (ms > now.getTime() + 60_000) throw new PlanError(`${what}: the time is in the future`);
  return new Date(ms).toISOString();
}

/** The plan that responds to a leak of `secretId`, or a PlanError saying why there is none. */
export function leakPlan(inventory: Inventory, secretId: string, report: LeakReport, now = new Date()): LeakPlan {
  const spec = findSecret(inventory, secretId);
  const where = report.where.trim();
  if (!where) throw new PlanError('--where: say where the secret leaked (e.g. "pasted in a public gist")');
  if (where.length > 500) throw new PlanError('--where: at most 500 characters');
  const detectedAt = report.detectedAt === undefined ? now.toISOString() : isoTime(report.detectedAt, '--detected-at', now);
  const exposedSince = report.exposedSince === undefined ? undefined : isoTime(report.exposedSince, '--exposed-since', now);
  if (exposedSince && exposedSince > detectedAt) throw new PlanError('--exposed-since: the exposure cannot begin after the leak was detected');
  const slaMs = report.slaMs ?? DEFAULT_LEAK_SLA_MS;
  if (!(slaMs > 0)) throw new PlanError('the containment target must be longer than 0s');
  if (spec.type !== 'postgres-dual-account') {
    throw new PlanError(`${spec.id} is a ${spec.type} secret; this version of rotator contains leaked postgres-dual-account secrets only: revoke it at its source by hand`);
  }
  const pg = spec.postgres;
  return {
    workflowType: 'respondToLeak',
    workflowId: incidentWorkflowId(spec.id, detectedAt),
    input: {
      secretId: spec.id,
      target: {
        kind: 'postgres-dual-account',
        ref: { store: spec.store, path: spec.path },
        postgres: { host: pg.host, port: pg.port, database: pg.database, admin: pg.admin, accounts: [pg.accounts[0], pg.accounts[1]], group: pg.group, check: pg.check, terminateSessions: true },
        password: DEFAULT_PASSWORD_POLICY,
      },
      rotationWorkflowId: rotationWorkflowId(spec.id),
      where,
      detectedAt,
      reporter: report.reporter,
      exposedSince,
      owners: spec.owners,
      channel: spec.channel,
      // a rotation's compensation waits one consumer cache TTL before locking the abandoned account
      timings: { slaMs, activityTimeoutMs: 60_000, rotationCancelTimeoutMs: spec.consumerCacheTtl + 5 * 60_000, pollMs: 1000 },
    },
  };
}

/** Starts the leak response; a report of a detection already being handled follows that response instead. */
export async function startLeakResponse(client: Client, taskQueue: string, plan: LeakPlan): Promise<{ handle: WorkflowHandle; joined: boolean }> {
  try {
    const handle = await client.workflow.start(plan.workflowType, { taskQueue, workflowId: plan.workflowId, args: [plan.input], workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL });
    return { handle, joined: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { handle: client.workflow.getHandle(plan.workflowId), joined: true };
    throw err;
  }
}
