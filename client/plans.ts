/**
 * From the inventory to a workflow's input: references, names and durations only. Every
 * duration comes from the inventory or the start arguments, so tests can use seconds.
 */
import { DEFAULT_PASSWORD_POLICY } from '../activities/passwords';
import type { Inventory, PostgresSecretSpec, SecretSpec } from '../inventory';
import type { PostgresRotationInput, RotationTimings } from '../workflows/types';

/** Options a person may give when starting a rotation. */
export interface StartOverrides {
  graceMs?: number;
  requestedBy?: string;
}

/** The workflow type and input that rotate one secret. */
export interface RotationPlan {
  workflowType: 'rotatePostgresDualAccount';
  input: PostgresRotationInput;
}

/** A start that cannot be made; its message is for the operator. */
export class PlanError extends Error {
  readonly type = 'PlanRefused';
}

const DEFAULTS = { drainPollMs: 30_000, approvalTimeoutMs: 24 * 3_600_000, activityTimeoutMs: 60_000 };

export function findSecret(inventory: Inventory, secretId: string): SecretSpec {
  const spec = inventory.secrets.find((s) => s.id === secretId);
  if (!spec) throw new PlanError(`no secret "${secretId}" in the inventory`);
  return spec;
}

function timings(spec: SecretSpec, o: StartOverrides): RotationTimings {
  const graceMs = o.graceMs ?? spec.grace;
  if (graceMs < spec.consumerCacheTtl) {
    throw new PlanError(`grace ${graceMs} ms is shorter than ${spec.id}'s consumer cache TTL (${spec.consumerCacheTtl} ms): consumers would still hold the old credential when it dies`);
  }
  return { ...DEFAULTS, graceMs, consumerCacheTtlMs: spec.consumerCacheTtl, approvalTimeoutMs: spec.approvalTimeout ?? DEFAULTS.approvalTimeoutMs };
}

function postgresPlan(spec: PostgresSecretSpec, o: StartOverrides): RotationPlan {
  const pg = spec.postgres;
  return {
    workflowType: 'rotatePostgresDualAccount',
    input: {
      secretId: spec.id,
      ref: { store: spec.store, path: spec.path },
      postgres: { host: pg.host, port: pg.port, database: pg.database, admin: pg.admin, accounts: [pg.accounts[0], pg.accounts[1]], group: pg.group, check: pg.check, terminateSessions: pg.terminateSessions },
      timings: timings(spec, o),
      password: DEFAULT_PASSWORD_POLICY,
      approval: spec.approval,
      requestedBy: o.requestedBy,
    },
  };
}

/** The plan that rotates `secretId`, or a PlanError saying why there is none. */
export function rotationPlan(inventory: Inventory, secretId: string, o: StartOverrides = {}): RotationPlan {
  const spec = findSecret(inventory, secretId);
  switch (spec.type) {
    case 'postgres-dual-account':
      return postgresPlan(spec, o);
    case 'api-key':
    case 'certificate':
      throw new PlanError(`${spec.id} is a ${spec.type} secret; this version of rotator rotates postgres-dual-account secrets only`);
  }
}
