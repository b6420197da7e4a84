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

// ---------------------------------------------------------------- leak response

/** The secret kinds, as the inventory names them; a `Record<SecretKind, …>` makes the compiler name a forgotten one. */
export type SecretKind = 'postgres-dual-account' | 'api-key' | 'certificate';

/** What containment needs, per kind: references only. Kinds without a containment yet carry their reference. */
export interface ContainTargets {
  'postgres-dual-account': { ref: SecretRef; postgres: PostgresTarget; password: PasswordPolicy };
  'api-key': { ref: SecretRef };
  certificate: { ref: SecretRef };
}

/** A containment target of kind K (of any kind when K is left open). */
export type ContainTarget<K extends SecretKind = SecretKind> = { [P in K]: { kind: P } & ContainTargets[P] }[K];

/** Durations of one leak response, in milliseconds (tests use seconds). */
export interface LeakTimings {
  /** Steps 1-3 (announce, contain, invalidate) must be done this long after detection: 15 minutes. */
  slaMs: number;
  /** Start-to-close timeout of one activity attempt. */
  activityTimeoutMs: number;
  /** The longest wait for a running rotation to finish compensating once cancelled. */
  rotationCancelTimeoutMs: number;
  /** How often a waiting activity checks and heartbeats. */
  pollMs: number;
}

/** Input of the leak-response playbook: what leaked, where, when, and references to act on. */
export interface LeakInput {
  secretId: string;
  target: ContainTarget;
  /** The secret's rotation workflow (`rotation/<secretId>`), cancelled first if it runs. */
  rotationWorkflowId: string;
  /** Free text from the reporter, e.g. "pasted in a public gist" (a description, never the value). */
  where: string;
  /** ISO time the leak was detected: the SLA clock starts here. */
  detectedAt: string;
  reporter?: string;
  /** ISO start of the exposure window; by default the oldest version that may still log in. */
  exposedSince?: string;
  owners: string[];
  channel?: string;
  timings: LeakTimings;
}

/** One use of a credential seen directly (a live session, a read). */
export interface Sighting {
  identity: string;
  /** Source address, or where the evidence came from when there is none. */
  source: string;
  at: string;
  evidence: string;
}

/** A credential the containment killed, and when it stopped working. */
export interface RevokedCredential {
  /** The PostgreSQL role, key id or certificate serial. */
  identity: string;
  action: string;
  sessionsEnded: number;
  at: string;
}

/** What a kind's containment did: references, names and counts. */
export interface ContainmentReport {
  revoked: RevokedCredential[];
  /** Uses seen while containing (e.g. the sessions live just before they were ended). */
  observed: Sighting[];
  /** The account and store version current afterwards. */
  current?: { identity: string; versionId: string };
}

/** How the rotation running when the leak was reported ended. */
export interface CancelledRotation {
  workflowId: string;
  runId?: string;
  /** `none` when no rotation was running. */
  status: 'none' | 'cancelled' | 'completed' | 'failed' | 'terminated' | 'timed-out';
  /** The compensation steps it ran, from its progress query. */
  compensations: string[];
}

/** A Vault/OpenBao token that read the secret in the window, by accessor (never the token). */
export interface TokenSeen {
  accessor: string;
  displayName?: string;
  source: string;
  reads: number;
  firstRead: string;
  lastRead: string;
}

/** What the invalidation step did. */
export interface TokenInvalidation {
  /** Why nothing was looked at (not a Vault store, no audit log configured). */
  skipped?: string;
  revoked: TokenSeen[];
  /** Reads by the rotator's own token, which is never revoked. */
  ownReads: number;
}

/** One row of the blast radius: who used the leaked credential, from where, when. */
export interface BlastRadiusEntry {
  identity: string;
  source: string;
  firstSeen: string;
  lastSeen: string;
  evidence: string[];
}

/** The blast radius, the sources it was drawn from, and the ones this worker could not read. */
export interface BlastRadius {
  entries: BlastRadiusEntry[];
  sources: string[];
  /** Evidence that exists but was not examined (a log not configured): a next action. */
  gaps: string[];
}

/** The leak response's `progress` query: steps and the SLA clock. */
export interface LeakProgress {
  incidentId: string;
  secretId: string;
  phase: 'containing' | 'investigating' | 'finished';
  steps: StepProgress[];
  slaDeadline: string;
  escalatedAt?: string;
  containedAt?: string;
  containmentMs?: number;
}

/** The leak response's result: what happened and the post-mortem, nothing secret. */
export interface LeakResult {
  incidentId: string;
  secretId: string;
  outcome: 'contained' | 'failed';
  detectedAt: string;
  /** When the response started. */
  respondedAt: string;
  slaMs: number;
  /** Steps 1-3 done: the credential is dead and what read it is revoked. */
  containedAt?: string;
  /** From detection to containment. */
  containmentMs?: number;
  breached: boolean;
  escalatedAt?: string;
  exposure: { from: string; to: string };
  rotation?: CancelledRotation;
  revoked: RevokedCredential[];
  tokens?: TokenInvalidation;
  blastRadius?: BlastRadius;
  failedStep?: string;
  reason?: string;
  postMortem?: { path: string; markdown: string };
  steps: StepProgress[];
}
