/**
 * The leak response's activities besides containment (which reuses the rotation's): stopping a
 * running rotation, revoking the Vault tokens that read the secret, drawing the blast radius,
 * and writing the post-mortem. Each is safe to run twice.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Context, sleep } from '@temporalio/activity';
import { WorkflowNotFoundError, type WorkflowExecutionStatusName, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { writeFileAtomic } from '../../client/files';
import { progressQuery } from '../../workflows/messages';
import type { BlastRadius, BlastRadiusEntry, CancelledRotation, SecretKind, SecretRef, Sighting, TokenInvalidation, TokenSeen } from '../../workflows/types';
import { bounded } from '../boundary';
import { RotationControlError } from './errors';
import { connectionsInLog, type RoleWindow } from './pg-log';
import { renderPostMortem, type PostMortemInput } from './postmortem';
import { rotatorReads } from './rotator-audit';
import { within } from './lines';
import { auditedReads, type AuditedRead } from './vault-audit';
import type { VaultAccessFor } from './vault-tokens';

/** The narrow Temporal surface the leak response needs: a handle on the secret's rotation. */
export interface RotationHandles {
  getHandle(workflowId: string, runId?: string): Pick<WorkflowHandle, 'describe' | 'cancel' | 'terminate' | 'query'>;
}

/** What the incident activities need, parsed once at worker start and injected. */
export interface IncidentDeps {
  rotations: RotationHandles;
  vault: VaultAccessFor;
  /** The PostgreSQL server log (log_connections on), when this worker can read it. */
  pgLogFile?: string;
  /** rotator's own audit log (JSON lines). */
  rotatorAuditLog?: string;
  /** Where post-mortems are written (mode 0600 files). */
  postMortemDir: string;
}

/** An exposure window, ISO times. */
export interface Window {
  from: string;
  to: string;
}

/** What the blast radius is drawn from. */
export interface BlastRadiusQuery {
  ref: SecretRef;
  kind: SecretKind;
  window: Window;
  /** The leaked credentials and when each stopped working. */
  credentials: RoleWindow[];
  /** Uses the containment saw directly (live sessions). */
  observed: Sighting[];
}

const STATUS: Partial<Record<WorkflowExecutionStatusName, CancelledRotation['status']>> = {
  CANCELLED: 'cancelled',
  COMPLETED: 'completed',
  FAILED: 'failed',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed-out',
};

export const createIncidentActivities = (d: IncidentDeps) => {
  /** The compensation steps a closed rotation ran, from its progress query (replayed by a worker); [] if it cannot be asked. */
  async function compensationsOf(workflowId: string, runId: string): Promise<string[]> {
    try {
      const p = await d.rotations.getHandle(workflowId, runId).query(progressQuery);
      return p.steps.filter((s) => s.name.startsWith('compensate: ') && s.status === 'done').map((s) => s.name.slice('compensate: '.length));
    } catch {
      return [];
    }
  }

  return bounded({
    /**
     * Cancels the secret's running rotation and waits until it has closed, i.e. finished its
     * compensation (the rotation compensates in a non-cancellable scope, then ends as
     * cancelled). Only a client can wait on another workflow's end, hence an activity; its
     * result is recorded once in the leak response's history, so replay is deterministic. The
     * cancelled run id is kept in the heartbeat, so a retried attempt waits for that run
     * rather than reading a finished run as "nothing was running". If compensation has not
     * finished within `waitMs`, the rotation is terminated so it cannot touch the accounts
     * while the containment rotates them.
     */
    async cancelRotation(workflowId: string, waitMs: number, pollMs: number): Promise<CancelledRotation> {
      const ctx = Context.current();
      const cancelledEarlier = (ctx.info.heartbeatDetails as { runId?: string } | undefined)?.runId;
      let runId = cancelledEarlier;
      try {
        if (!runId) {
          const latest = await d.rotations.getHandle(workflowId).describe();
          if (latest.status.name !== 'RUNNING') return { workflowId, status: 'none', compensations: [] };
          runId = latest.runId;
        }
        const run = d.rotations.getHandle(workflowId, runId);
        await run.cancel(); // idempotent: cancelling a run already asked (or closed) changes nothing
        ctx.heartbeat({ runId });
        const giveUpAt = Date.now() + waitMs;
        for (;;) {
          const status = (await run.describe()).status.name;
          if (status !== 'RUNNING') return { workflowId, runId, status: STATUS[status] ?? 'failed', compensations: await compensationsOf(workflowId, runId) };
          if (Date.now() >= giveUpAt) {
            await run.terminate(`leak response: compensation did not finish within ${waitMs} ms`);
            return { workflowId, runId, status: 'terminated', compensations: await compensationsOf(workflowId, runId) };
          }
          ctx.heartbeat({ runId });
          await sleep(pollMs); // throws when this activity is cancelled
        }
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { workflowId, runId, status: runId ? 'completed' : 'none', compensations: [] };
        if (err instanceof CancelledFailure) throw err;
        throw new RotationControlError(`could not cancel ${workflowId}: ${err instanceof Error ? err.name : 'error'}`);
      }
    },

    /**
     * Revokes, by accessor, every Vault/OpenBao token that read the secret in the window (from
     * the audit device's log), except the rotator's own: its accessor, and with AppRole its
     * entity, shared by all its logins.
     */
    async invalidateVaultTokens(ref: SecretRef, window: Window): Promise<TokenInvalidation> {
      const access = d.vault(ref.store);
      if (!access) return { skipped: `store ${ref.store} is not Vault/OpenBao`, revoked: [], ownReads: 0 };
      if (!access.auditLog) return { skipped: `no audit log configured for store ${ref.store}`, revoked: [], ownReads: 0 };
      const self = await access.tokens.self();
      const reads = await auditedReads(access.auditLog, access.dataPath(ref), window);
      const isOwn = (r: AuditedRead) => r.accessor === self.accessor || (self.entityId !== undefined && r.entityId === self.entityId);
      const revoked = byAccessor(reads.filter((r) => !isOwn(r)));
      for (const t of revoked) await access.tokens.revokeAccessor(t.accessor);
      return { revoked, ownReads: reads.filter(isOwn).length };
    },

    /** Who used the leaked credential in the window, from every source this worker can read. */
    async blastRadius(q: BlastRadiusQuery): Promise<BlastRadius> {
      const now = new Date().toISOString();
      const seen: Sighting[] = [];
      const sources: string[] = [];
      const gaps: string[] = [];
      if (q.kind === 'postgres-dual-account') {
        // sessions opened before the window were opened by someone who held the credential before it leaked
        seen.push(...q.observed.filter((s) => within(Date.parse(s.at), q.window)));
        sources.push('live sessions just before containment (pg_stat_activity)');
        if (d.pgLogFile) {
          seen.push(...(await connectionsInLog(d.pgLogFile, q.credentials, q.window.from, now)));
          sources.push(`PostgreSQL log ${d.pgLogFile} (logins until each password died; refused logins until ${now})`);
        } else gaps.push('the PostgreSQL server log is not configured on this worker, so logins that ended before containment are unknown');
      }
      const access = d.vault(q.ref.store);
      if (access?.auditLog) {
        const self = await access.tokens.self();
        for (const r of await auditedReads(access.auditLog, access.dataPath(q.ref), q.window)) {
          const own = r.accessor === self.accessor || (self.entityId !== undefined && r.entityId === self.entityId);
          const identity = own ? `rotator's own Vault token (accessor ${r.accessor})` : `Vault token${r.displayName ? ` ${r.displayName}` : ''} (accessor ${r.accessor})`;
          seen.push({ identity, source: r.source, at: new Date(r.at).toISOString(), evidence: `audit device: read ${access.dataPath(q.ref)}` });
        }
        sources.push(`Vault/OpenBao audit log ${access.auditLog}`);
      } else if (access) gaps.push(`the audit log of Vault store ${q.ref.store} is not configured on this worker, so other readers of the secret are unknown`);
      else sources.push(`store ${q.ref.store} is not Vault/OpenBao: its readers are known from rotator's audit log only`);
      if (d.rotatorAuditLog) {
        seen.push(...(await rotatorReads(d.rotatorAuditLog, q.ref, q.window)));
        sources.push(`rotator audit log ${d.rotatorAuditLog}`);
      } else gaps.push("rotator's audit log is not configured on this worker");
      return { entries: summarise(seen), sources, gaps };
    },

    /** Writes the post-mortem under the configured directory (0600, atomically) and returns it. */
    async writePostMortem(p: PostMortemInput): Promise<{ path: string; markdown: string }> {
      const markdown = renderPostMortem(p);
      await mkdir(d.postMortemDir, { recursive: true, mode: 0o700 });
      const path = join(d.postMortemDir, `${p.result.incidentId.replace(/[^A-Za-z0-9._-]+/g, '_')}.md`);
      writeFileAtomic(path, markdown);
      return { path, markdown };
    },
  });
};

/** The activity interface workflows proxy. */
export type IncidentActivities = ReturnType<typeof createIncidentActivities>;

/** Reads grouped by token accessor, in order of first read. */
function byAccessor(reads: AuditedRead[]): TokenSeen[] {
  const tokens = new Map<string, TokenSeen>();
  for (const r of reads) {
    const at = new Date(r.at).toISOString();
    const t = tokens.get(r.accessor);
    if (t) Object.assign(t, { reads: t.reads + 1, lastRead: at });
    else tokens.set(r.accessor, { accessor: r.accessor, displayName: r.displayName, source: r.source, reads: 1, firstRead: at, lastRead: at });
  }
  return [...tokens.values()];
}

/** Sightings grouped by identity and source: first and last seen, and each kind of evidence with its count. */
function summarise(seen: Sighting[]): BlastRadiusEntry[] {
  const rows = new Map<string, { entry: BlastRadiusEntry; evidence: Map<string, number> }>();
  for (const s of [...seen].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    const key = `${s.identity}\u0000${s.source}`;
    const row = rows.get(key) ?? { entry: { identity: s.identity, source: s.source, firstSeen: s.at, lastSeen: s.at, evidence: [] }, evidence: new Map<string, number>() };
    row.entry.lastSeen = s.at;
    row.evidence.set(s.evidence, (row.evidence.get(s.evidence) ?? 0) + 1);
    rows.set(key, row);
  }
  return [...rows.values()].map(({ entry, evidence }) => ({ ...entry, evidence: [...evidence].map(([e, n]) => (n > 1 ? `${e} (×${n})` : e)) }));
}
