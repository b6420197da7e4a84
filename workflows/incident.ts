/**
 * The leak response's record: its steps with their times (the `progress` query), the SLA
 * clock's marks, and the notifications it sends. A sibling of Runbook without its operator
 * controls: a leak response cannot be aborted, skipped or rolled back halfway.
 */
import { isCancellation, setHandler } from '@temporalio/workflow';
import type { Notification, NotificationEvent } from '../activities/notify/types';
import { leakProgressQuery } from './messages';
import { reasonOf, recordStep } from './runbook';
import type { LeakInput, LeakProgress, StepProgress } from './types';

export const iso = (ms: number) => new Date(ms).toISOString();

/** How a step that may fail ended: the playbook goes on either way. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; reason: string };

/** One incident's timeline and SLA marks. */
export class Incident {
  readonly steps: StepProgress[] = [];
  phase: LeakProgress['phase'] = 'containing';
  escalatedAt?: string;
  containedAt?: string;
  containmentMs?: number;

  constructor(readonly id: string, readonly input: LeakInput, readonly deadline: number) {
    setHandler(leakProgressQuery, () => ({
      incidentId: this.id,
      secretId: input.secretId,
      phase: this.phase,
      steps: this.steps.map((s) => ({ ...s })),
      slaDeadline: iso(this.deadline),
      escalatedAt: this.escalatedAt,
      containedAt: this.containedAt,
      containmentMs: this.containmentMs,
    }));
  }

  /** Runs and records a step; a failure is recorded and thrown. */
  step<T>(name: string, fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<T> {
    return recordStep(this.steps, name, fn, detail);
  }

  /** Runs and records a step; a failure is recorded and returned, so the playbook keeps going. */
  async attempt<T>(name: string, fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<Attempt<T>> {
    try {
      return { ok: true, value: await this.step(name, fn, detail) };
    } catch (err) {
      if (isCancellation(err)) throw err; // the incident itself was cancelled: stop here
      return { ok: false, reason: reasonOf(err) };
    }
  }

  /** Marks containment done (steps 1-3) now; the clock starts at detection. */
  contained(): void {
    const at = Date.now();
    this.containedAt = iso(at);
    this.containmentMs = at - Date.parse(this.input.detectedAt);
  }

  /** The first step that failed, at its most precise (`contain › …` rather than `contain`), and its reason. */
  firstFailure(): { failedStep?: string; reason?: string } {
    const failed = this.steps.filter((x) => x.status === 'failed');
    const s = failed.find((x) => failed[0] && x.name.startsWith(`${failed[0].name} › `)) ?? failed[0];
    return s ? { failedStep: s.name, reason: s.detail } : {};
  }

  /** A notification about this incident to the secret's owners and channel. */
  notification(event: NotificationEvent, severity: Notification['severity'], title: string, text: string, facts?: Notification['facts']): Notification {
    const { secretId, owners, channel } = this.input;
    return { id: `${this.id}/${event}`, event, severity, incidentId: this.id, secretId, title, text, owners, channel, at: iso(Date.now()), facts };
  }
}
