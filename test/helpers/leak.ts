/** Leak-response inputs for tests: a dual-account secret's rotation input turned into a leak report, durations in seconds. */
import type { LeakInput, LeakTimings, PostgresRotationInput } from '../../workflows/types';

/** Short durations for tests; each test may override. */
export const fastLeakTimings = (o: Partial<LeakTimings> = {}): LeakTimings => ({
  slaMs: 60_000,
  activityTimeoutMs: 10_000,
  rotationCancelTimeoutMs: 30_000,
  pollMs: 200,
  ...o,
});

/** The leak report of a test secret, detected now unless said otherwise. */
export function leakInputFor(input: PostgresRotationInput, o: Partial<Omit<LeakInput, 'timings'>> & { timings?: Partial<LeakTimings> } = {}): LeakInput {
  const { timings, ...rest } = o;
  return {
    secretId: input.secretId,
    target: { kind: 'postgres-dual-account', ref: input.ref, postgres: input.postgres, password: input.password },
    rotationWorkflowId: `rotation/${input.secretId}`,
    where: 'pasted in a public gist',
    detectedAt: new Date().toISOString(),
    reporter: 'alice',
    owners: ['payments-oncall'],
    channel: '#payments-oncall',
    timings: fastLeakTimings(timings),
    ...rest,
  };
}
