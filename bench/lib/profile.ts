/**
 * Where a rotation's time goes.
 *
 * - The floor (activities called directly): every store call, audit write, PostgreSQL connect,
 *   query and disconnect is timed and charged to the step running; what is left of a step is
 *   our own JavaScript (SCRAM verifiers, password generation, JSON).
 * - The engine: from each run's history, the server's timestamps of every workflow task and
 *   activity (scheduled, started, completed), so the time between activities (a workflow task
 *   round trip) and before an activity starts (dispatch) are told apart from the activities'
 *   own work.
 */
import { webcrypto } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { AuditRecord, AuditSink } from '../../activities/audit';
import { generatePassword } from '../../activities/passwords';
import type { PgConnect, PgSession } from '../../activities/postgres/activities';
import { scramSha256Verifier } from '../../activities/postgres/scram';
import type { SecretStore, StoreRegistry } from '../../activities/stores/types';
import { since } from './stats';

/** What a floor step's time is spent on. */
export const FLOOR_PARTS = ['store', 'audit', 'pgConnect', 'pgQuery', 'pgEnd', 'ownCode'] as const;
export type FloorPart = (typeof FLOOR_PARTS)[number];

type Totals = Record<FloorPart, number> & { total: number; count: number };
const zero = (): Totals => ({ store: 0, audit: 0, pgConnect: 0, pgQuery: 0, pgEnd: 0, ownCode: 0, total: 0, count: 0 });

/**
 * Charges time to the step running. Valid when steps run one at a time (concurrency 1); at
 * higher concurrency only the step totals mean anything.
 */
export class FloorProfile {
  private current?: string;
  private readonly steps = new Map<string, Totals>();

  private charge(part: FloorPart, ms: number): void {
    if (this.current) this.steps.get(this.current)![part] += ms;
  }

  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t = this.steps.get(name) ?? zero();
    this.steps.set(name, t);
    this.current = name;
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      t.total += since(t0);
      t.count++;
      this.current = undefined;
    }
  }

  reset(): void {
    this.steps.clear();
  }

  /** Mean ms per call of each step, split into parts (ownCode = what the parts do not cover). */
  means(): Record<string, Record<FloorPart | 'total', number>> {
    const out: Record<string, Record<FloorPart | 'total', number>> = {};
    for (const [name, t] of this.steps) {
      const n = t.count || 1;
      const covered = t.store + t.pgConnect + t.pgQuery + t.pgEnd; // store includes its audit write
      out[name] = { store: (t.store - t.audit) / n, audit: t.audit / n, pgConnect: t.pgConnect / n, pgQuery: t.pgQuery / n, pgEnd: t.pgEnd / n, ownCode: (t.total - covered) / n, total: t.total / n };
    }
    return out;
  }

  /** Wraps an audit sink: its writes (append + fdatasync) are charged as `audit`. */
  sink(inner: AuditSink): AuditSink {
    return { record: async (r: AuditRecord) => this.timed('audit', () => inner.record(r)) };
  }

  /** Wraps a store registry: every store call is charged as `store`. */
  stores(inner: StoreRegistry): StoreRegistry {
    const wrapped = new Map<string, SecretStore>();
    return {
      get: (name) => {
        let s = wrapped.get(name);
        if (!s) {
          const store = inner.get(name);
          s = {
            name: store.name,
            putPending: (...a) => this.timed('store', () => store.putPending(...a)),
            getVersion: (...a) => this.timed('store', () => store.getVersion(...a)),
            promote: (...a) => this.timed('store', () => store.promote(...a)),
            discardPending: (...a) => this.timed('store', () => store.discardPending(...a)),
            describe: (...a) => this.timed('store', () => store.describe(...a)),
          };
          wrapped.set(name, s);
        }
        return s;
      },
    };
  }

  /** Wraps a PostgreSQL connector: connect, each query and the disconnect are charged. */
  connect(inner: PgConnect): PgConnect {
    return async (cfg) => {
      const s = await this.timed('pgConnect', () => inner(cfg));
      const session: PgSession = {
        query: (sql, params) => this.timed('pgQuery', () => s.query(sql, params)),
        end: () => this.timed('pgEnd', () => s.end()),
      };
      return session;
    };
  }

  private async timed<T>(part: FloorPart, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.charge(part, since(t0));
    }
  }
}

/** CPU cost of the SCRAM hashing a rotation does: our verifiers, and the client side of each login (pg's PBKDF2). */
export async function scramCost(samples = 100): Promise<{ verifierMs: number; loginPbkdf2Ms: number }> {
  const pw = generatePassword();
  let t0 = performance.now();
  for (let i = 0; i < samples; i++) scramSha256Verifier(pw);
  const verifierMs = since(t0) / samples;
  const salt = webcrypto.getRandomValues(new Uint8Array(16));
  t0 = performance.now();
  for (let i = 0; i < samples; i++) {
    // what pg's SASL client does per login (node_modules/pg/lib/crypto/utils.js deriveKey)
    const key = await webcrypto.subtle.importKey('raw', new TextEncoder().encode(pw), 'PBKDF2', false, ['deriveBits']);
    await webcrypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 4096 }, key, 256);
  }
  return { verifierMs, loginPbkdf2Ms: since(t0) / samples };
}

// ---------------------------------------------------------------- the engine, from history

const E = temporal.api.enums.v1.EventType;

/** Mean ms per rotation spent in each part of an engine run, as the server's history shows it. */
export interface EngineParts {
  /** Client start call until the server recorded the start. */
  startCall: number;
  /** Workflow tasks scheduled until a worker picked them up. */
  workflowTaskDispatch: number;
  /** Workflow tasks picked up until completed: the workflow code, and the local activities run inside the task. */
  workflowTaskRun: number;
  /** Activities scheduled until a worker picked them up. */
  activityDispatch: number;
  /** Activities picked up until the server heard of their completion: the work itself. */
  activityRun: number;
  /** What the above leave of the run (normally nothing). */
  other: number;
  /** The server recorded completion until the client had the result. */
  resultDelivery: number;
  /** Per activity type: mean run (started -> completed) and dispatch (scheduled -> started), ms. */
  activities: Record<string, { run: number; dispatch: number; count: number }>;
  /** Per rotation: history events, workflow tasks, local activities (markers). */
  events: number;
  workflowTasks: number;
  localActivities: number;
}

/** One measured run: the client's start and result times (epoch ms) and the run to read. */
export interface EngineRun {
  workflowId: string;
  runId: string;
  clientStart: number;
  clientEnd: number;
}

const ms = (t: temporal.api.history.v1.IHistoryEvent['eventTime']): number => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

export async function engineProfile(client: Client, runs: EngineRun[]): Promise<EngineParts> {
  const sum = { startCall: 0, workflowTaskDispatch: 0, workflowTaskRun: 0, activityDispatch: 0, activityRun: 0, other: 0, resultDelivery: 0, events: 0, workflowTasks: 0, localActivities: 0 };
  const acts = new Map<string, { run: number; dispatch: number; count: number }>();
  for (const r of runs) {
    const events = (await client.workflow.getHandle(r.workflowId, r.runId).fetchHistory()).events ?? [];
    sum.events += events.length;
    const at = new Map<number, number>(events.map((e) => [Number(e.eventId), ms(e.eventTime)]));
    const started = ms(events[0]?.eventTime);
    const closed = ms(events.at(-1)?.eventTime);
    let accounted = 0;
    for (const e of events) {
      if (e.eventType === E.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_local_activity') sum.localActivities++;
      if (e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
        const a = e.workflowTaskCompletedEventAttributes!;
        const [sched, start] = [at.get(Number(a.scheduledEventId))!, at.get(Number(a.startedEventId))!];
        sum.workflowTaskDispatch += start - sched;
        sum.workflowTaskRun += ms(e.eventTime) - start;
        accounted += ms(e.eventTime) - sched;
        sum.workflowTasks++;
      }
      if (e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        const a = e.activityTaskCompletedEventAttributes!;
        const schedEvent = events.find((x) => Number(x.eventId) === Number(a.scheduledEventId));
        const type = schedEvent?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        const [sched, start] = [at.get(Number(a.scheduledEventId))!, at.get(Number(a.startedEventId))!];
        const d = start - sched;
        const x = ms(e.eventTime) - start;
        sum.activityDispatch += d;
        sum.activityRun += x;
        accounted += d + x;
        const t = acts.get(type) ?? { run: 0, dispatch: 0, count: 0 };
        t.run += x;
        t.dispatch += d;
        t.count++;
        acts.set(type, t);
      }
    }
    sum.startCall += started - r.clientStart;
    sum.other += closed - started - accounted;
    sum.resultDelivery += r.clientEnd - closed;
  }
  const n = runs.length || 1;
  const activities: EngineParts['activities'] = {};
  for (const [k, t] of acts) activities[k] = { run: t.run / t.count, dispatch: t.dispatch / t.count, count: t.count / n };
  const mean = Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, v / n])) as typeof sum;
  return { ...mean, activities };
}
