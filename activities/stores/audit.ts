/**
 * A SecretStore decorator that writes an audit record for every call, successful or not.
 * It records references, version ids and outcome types; values never reach the sink.
 */
import type { AuditRecord, AuditSink } from '../audit';
import { StoreError } from './errors';
import type { SecretRef, SecretStore, VersionSelector } from './types';

/** Supplies the calling workflow's id (e.g. from the activity context), when there is one. */
export type AuditContext = () => { workflowId?: string };

/**
 * Wraps `store` so each call is recorded to `sink`. A failed call is recorded and its error
 * rethrown unchanged. A sink failure after a successful call fails the call (every store
 * operation is idempotent, so the retry is safe and gets recorded); after a failed call the
 * store's error wins.
 */
export function auditedStore(store: SecretStore, sink: AuditSink, context?: AuditContext): SecretStore {
  async function audited<T>(
    ref: SecretRef,
    operation: string,
    run: () => Promise<T>,
    describeResult: (result: T | undefined) => Pick<AuditRecord, 'versionId' | 'detail'>,
  ): Promise<T> {
    const started = Date.now();
    const base = { time: new Date(started).toISOString(), actor: 'rotator' as const, store: store.name, ref: ref.path, operation };
    const workflowId = safeWorkflowId(context);
    const finish = (outcome: AuditRecord['outcome'], result: T | undefined): AuditRecord => {
      const { versionId, detail } = describeResult(result);
      return { ...base, versionId, outcome, workflowId, detail: { ...detail, durationMs: Date.now() - started } };
    };
    let result: T;
    try {
      result = await run();
    } catch (err) {
      await sink.record(finish(err instanceof StoreError ? err.type : 'error', undefined)).catch(() => undefined);
      throw err;
    }
    await sink.record(finish('ok', result));
    return result;
  }

  return {
    name: store.name,
    putPending: (ref, value, token) => audited(ref, 'putPending', () => store.putPending(ref, value, token), (id) => ({ versionId: id })),
    getVersion: (ref, which) =>
      audited(ref, 'getVersion', () => store.getVersion(ref, which), (v) => ({
        // Only the version id leaves this closure; `v.value` is never read here.
        versionId: v?.versionId ?? selectedId(which),
        detail: { selector: typeof which === 'string' ? which : 'versionId' },
      })),
    promote: (ref, versionId) => audited(ref, 'promote', () => store.promote(ref, versionId), () => ({ versionId })),
    discardPending: (ref, versionId) => audited(ref, 'discardPending', () => store.discardPending(ref, versionId), () => ({ versionId })),
    describe: (ref) =>
      audited(ref, 'describe', () => store.describe(ref), (d) => ({
        detail: d ? { exists: d.exists, versions: d.versions.length } : undefined,
      })),
  };
}

function selectedId(which: VersionSelector): string | undefined {
  return typeof which === 'string' ? undefined : which.versionId;
}

/** Outside an activity a context lookup can throw; the record is still worth writing. */
function safeWorkflowId(context: AuditContext | undefined): string | undefined {
  try {
    return context?.().workflowId;
  } catch {
    return undefined;
  }
}
