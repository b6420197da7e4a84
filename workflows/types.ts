/**
 * What crosses the workflow boundary: references, names and durations, never a value.
 * Shared by workflows (sandboxed), activities and clients, so it imports nothing.
 */

/** Where a secret lives: the inventory's store name and the store's own name for it. */
export interface SecretRef {
  store: string;
  path: string;
}

/** Durations of one run, in milliseconds: every one is an input, so tests use seconds. */
export interface RotationTimings {
  graceMs: number;
  consumerCacheTtlMs: number;
  /** How often the grace period checks the old account's sessions (bounded to ~200 checks). */
  drainPollMs: number;
  approvalTimeoutMs: number;
  /** Start-to-close timeout of one activity attempt. */
  activityTimeoutMs: number;
}

/** The PostgreSQL side of a dual-account secret; credentials are references. */
export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  /** JSON {username, password} of a role that may ALTER the two accounts. */
  admin: SecretRef;
  accounts: [string, string];
  group: string;
  check: string;
  terminateSessions: boolean;
}

/** Length and alphabet of generated passwords. */
export interface PasswordPolicy {
  length: number;
  alphabet: string;
}

/** Input of the dual-account rotation. */
export interface PostgresRotationInput {
  secretId: string;
  ref: SecretRef;
  postgres: PostgresTarget;
  timings: RotationTimings;
  password: PasswordPolicy;
  approval?: 'before-promote';
  /** Who started it (CLI user, chat user, "schedule"); an approver must be someone else. */
  requestedBy?: string;
}

/** One step as the `progress` query shows it. */
export interface StepProgress {
  name: string;
  status: 'running' | 'done' | 'failed' | 'compensated' | 'skipped';
  startedAt: string;
  endedAt?: string;
  detail?: string;
}

/** The `progress` query's answer. */
export interface RotationProgress {
  secretId: string;
  phase: 'running' | 'awaiting-approval' | 'grace' | 'retiring' | 'compensating' | 'finished';
  steps: StepProgress[];
  graceEndsAt?: string;
  /** As of the workflow's last activation (a query does not advance its clock); prefer graceEndsAt. */
  graceRemainingMs?: number;
  oldAccountSessions?: number;
  awaitingApproval?: { requestedBy?: string; deadline: string };
  outcome?: RotationOutcome;
}

/** How a rotation ended. */
export type RotationOutcome = 'rotated' | 'rolled-back' | 'failed';

/** A rotation's result: what happened, and nothing secret. */
export interface RotationResult {
  secretId: string;
  outcome: RotationOutcome;
  /** The account and store version current at the end. */
  activeAccount?: string;
  versionId?: string;
  failedStep?: string;
  reason?: string;
  steps: StepProgress[];
}
