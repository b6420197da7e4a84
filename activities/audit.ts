/**
 * The audit trail: one record per side effect on a secret, carrying references and outcomes
 * only, never a value (invariant 7). Records are JSON lines appended to a file that only
 * its owner can read.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StoreErrorType } from './stores/errors';

/** One audited operation: who did what to which secret version, and how it ended. */
export interface AuditRecord {
  /** ISO time the operation started. */
  time: string;
  actor: 'rotator';
  /** The store's inventory name. */
  store: string;
  /** The store's own name for the secret (`SecretRef.path`). */
  ref: string;
  operation: string;
  versionId?: string;
  /** 'ok', the store error's type, or 'error' for anything untyped. */
  outcome: 'ok' | StoreErrorType | 'error';
  workflowId?: string;
  /** Metadata only (a selector, a count, a duration): never a value. */
  detail?: Record<string, string | number | boolean>;
}

/** Where audit records go. */
export interface AuditSink {
  record(r: AuditRecord): Promise<void>;
}

/**
 * Appends one JSON line per record. The file is created with mode 0600 (the mode is set by
 * the same open that creates it, before any byte is written) and opened with O_APPEND, so
 * concurrent writers each land whole lines at the end.
 */
export class JsonLinesAuditSink implements AuditSink {
  constructor(readonly path: string) {}

  async record(r: AuditRecord): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const fh = await open(this.path, 'a', 0o600);
    try {
      // One write per line: O_APPEND makes a single write atomic with respect to the offset.
      await fh.write(`${JSON.stringify(r)}\n`);
      await fh.datasync(); // an audit line that a crash can lose is not an audit line
    } finally {
      await fh.close();
    }
  }
}
