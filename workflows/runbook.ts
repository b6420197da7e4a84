/**
 * The spine every rotation shares: steps recorded with their times (the `progress` query),
 * compensations pushed as steps succeed and run newest-first, and the operator controls
 * (skip/extend grace, approve, abort) with validators that refuse what makes no sense now.
 */
import { ActivityFailure, ApplicationFailure, CancellationScope, condition, isCancellation, setHandler } from '@temporalio/workflow';
import { type Actor, abortUpdate, approveUpdate, extendGraceUpdate, progressQuery, skipGraceUpdate } from './messages';
import type { RotationProgress, StepProgress } from './types';

const now = () => new Date(Date.now()).toISOString();

/** Thrown inside a rotation to stop it and compensate (abort, approval timeout). */
export class StopRotation extends Error {}

/** One run's steps, compensations and operator controls. */
export class Runbook {
  readonly steps: StepProgress[] = [];
  phase: RotationProgress['phase'] = 'running';
  graceEndsAt?: number;
  oldAccountSessions?: number;
  awaitingApproval?: { requestedBy?: string; deadline: string };
  skip = false;
  aborted?: string;
  approvedBy?: string;
  private graceChanges = 0;
  private undo: Array<{ name: string; run: () => Promise<unknown> }> = [];

  constructor(readonly secretId: string, readonly requestedBy?: string) {
    setHandler(progressQuery, () => this.progress());
    setHandler(skipGraceUpdate, (_a: Actor) => {
      this.skip = true;
    }, { validator: (_a: Actor) => this.requirePhase('grace', 'skip a grace period') });
    setHandler(extendGraceUpdate, ({ ms }) => {
      this.graceEndsAt = (this.graceEndsAt ?? Date.now()) + ms;
      this.graceChanges++;
    }, {
      validator: ({ ms }) => {
        this.requirePhase('grace', 'extend a grace period');
        if (!(Number.isFinite(ms) && ms > 0)) throw new Error('the extension must be a positive duration');
      },
    });
    setHandler(approveUpdate, (a) => {
      this.approvedBy = a.by ?? 'unknown';
    }, {
      validator: (a) => {
        this.requirePhase('awaiting-approval', 'approve');
        if (a.by && a.by === this.requestedBy) throw new Error(`${a.by} started this rotation and cannot also approve it`);
      },
    });
    setHandler(abortUpdate, (a) => {
      this.aborted = `aborted by ${a.by ?? 'an operator'}${a.reason ? `: ${a.reason}` : ''}`;
    }, {
      validator: (_a: Actor) => {
        if (!['running', 'awaiting-approval', 'grace'].includes(this.phase)) throw new Error(`cannot abort: the rotation is ${this.phase === 'finished' ? 'finished' : 'past its point of no return'}`);
      },
    });
  }

  private requirePhase(phase: RotationProgress['phase'], what: string): void {
    if (this.phase !== phase) throw new Error(`cannot ${what}: the rotation is not ${phase === 'grace' ? 'in its grace period' : 'awaiting approval'}`);
  }

  progress(): RotationProgress {
    const inGrace = this.phase === 'grace' && this.graceEndsAt !== undefined;
    return {
      secretId: this.secretId,
      phase: this.phase,
      steps: this.steps.map((s) => ({ ...s })),
      graceEndsAt: inGrace ? new Date(this.graceEndsAt!).toISOString() : undefined,
      graceRemainingMs: inGrace ? Math.max(0, this.graceEndsAt! - Date.now()) : undefined,
      oldAccountSessions: this.oldAccountSessions,
      awaitingApproval: this.phase === 'awaiting-approval' ? this.awaitingApproval : undefined,
    };
  }

  /** Runs one step, recording it; an abort that arrived meanwhile stops the rotation after it. */
  async step<T>(name: string, fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<T> {
    const r = await recordStep(this.steps, name, fn, detail);
    if (this.aborted && this.phase !== 'compensating') throw new StopRotation(this.aborted);
    return r;
  }

  /** Registers the undo of a step that just succeeded. */
  onFailure(name: string, run: () => Promise<unknown>): void {
    this.undo.unshift({ name, run });
  }

  /** Forgets the compensations: from here on, a failure is not undone this way. */
  commit(): void {
    this.undo = [];
  }

  /** Runs the compensations newest-first, even if the workflow is being cancelled; returns how many ran. */
  async compensate(): Promise<number> {
    this.phase = 'compensating';
    const undo = this.undo;
    this.undo = [];
    await CancellationScope.nonCancellable(async () => {
      for (const u of undo) await this.step(`compensate: ${u.name}`, u.run);
    });
    return undo.length;
  }

  /** Waits for approval by someone other than the requester; false on timeout or abort. */
  async awaitApproval(timeoutMs: number): Promise<boolean> {
    this.phase = 'awaiting-approval';
    this.awaitingApproval = { requestedBy: this.requestedBy, deadline: new Date(Date.now() + timeoutMs).toISOString() };
    const ok = await condition(() => this.approvedBy !== undefined || this.aborted !== undefined, timeoutMs);
    this.phase = 'running';
    return ok && this.aborted === undefined;
  }

  /**
   * The grace period: a durable timer that skipGrace ends and extendGrace moves, waking every
   * `pollMs` to call `watch` (the old account's sessions draining).
   */
  async grace(graceMs: number, pollMs: number, watch: () => Promise<void>): Promise<void> {
    this.phase = 'grace';
    this.graceEndsAt = Date.now() + graceMs;
    const every = Math.max(pollMs, Math.ceil(graceMs / 200)); // bounded history, however long the grace
    while (!this.skip && !this.aborted && this.graceEndsAt > Date.now()) {
      const seen = this.graceChanges;
      await condition(() => this.skip || this.aborted !== undefined || this.graceChanges !== seen, Math.min(this.graceEndsAt - Date.now(), every));
      if (!this.skip && !this.aborted) await watch();
    }
    this.phase = 'running';
    if (this.aborted) throw new StopRotation(this.aborted);
  }
}

/** Runs `fn` as a step appended to `steps`, with its start and end times and a secret-free detail or failure reason. */
export async function recordStep<T>(steps: StepProgress[], name: string, fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<T> {
  const s: StepProgress = { name, status: 'running', startedAt: now() };
  steps.push(s);
  try {
    const r = await fn();
    Object.assign(s, { status: 'done', endedAt: now(), detail: detail?.(r) });
    return r;
  } catch (err) {
    Object.assign(s, { status: 'failed', endedAt: now(), detail: reasonOf(err) });
    throw err;
  }
}

/** A secret-free reason: our failure type and the message we wrote. */
export function reasonOf(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return `${err.cause.type ?? 'Error'}: ${err.cause.message}`;
  if (err instanceof ActivityFailure) return `activity failed: ${err.cause?.message ?? err.message}`;
  // a local activity's failure arrives as the ApplicationFailure itself, not wrapped
  if (err instanceof ApplicationFailure) return `${err.type ?? 'Error'}: ${err.message}`;
  if (isCancellation(err)) return 'cancelled';
  return err instanceof Error ? err.message : String(err);
}
