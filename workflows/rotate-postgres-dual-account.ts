/**
 * Dual-account PostgreSQL rotation, read top to bottom as its runbook:
 * pick the inactive account -> stage a new password -> set it -> verify by logging in ->
 * (approval) -> promote -> grace while old sessions drain -> lock the old account.
 * Consumers never hold a credential that does not log in: the account they use is only
 * locked after a grace period at least as long as their cache TTL.
 */
import { isCancellation, patched, proxyActivities, proxyLocalActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { PostgresActivities } from '../activities/postgres/activities';
import type { StoreActivities } from '../activities/stores/activities';
import { DATABASE_CALL, LOCAL_DATABASE_CALL, LOCAL_VERIFY_CALL, STORE_CALL, VERIFY_CALL } from './presets';
import { Runbook, StopRotation, reasonOf } from './runbook';
import type { PostgresRotationInput, RotationResult } from './types';

export async function rotatePostgresDualAccount(input: PostgresRotationInput): Promise<RotationResult> {
  const { ref, postgres: target, timings: t } = input;
  // The database steps run as local activities: in the worker, inside the workflow task, with no
  // server round trip each (bench/results/overhead.md). promote stays a regular activity, recorded
  // before anything after it runs: a worker that dies re-runs the local activities since the last
  // workflow task, and pick re-run after promote would pick the other account. Runs started
  // before this replay as they ran.
  const local = patched('local-database-steps');
  const pg = local ? proxyLocalActivities<PostgresActivities>(LOCAL_DATABASE_CALL(t)) : proxyActivities<PostgresActivities>(DATABASE_CALL(t));
  const verify = local ? proxyLocalActivities<PostgresActivities>(LOCAL_VERIFY_CALL(t)) : proxyActivities<PostgresActivities>(VERIFY_CALL(t));
  const store = proxyActivities<StoreActivities>(STORE_CALL(t));
  const book = new Runbook(input.secretId, input.requestedBy);
  const { workflowId, runId } = workflowInfo();
  let result: Omit<RotationResult, 'steps' | 'secretId'>;

  try {
    const pick = await book.step('pick inactive account', () => pg.pickInactiveAccount(ref, target), (p) => `${p.inactive} (active: ${p.active ?? 'none yet'})`);

    // store before use: a crash never leaves a live password that nothing records
    const versionId = await book.step('stage password', () => pg.stagePassword(ref, target, pick.inactive, input.password, `${workflowId}/${runId}/stage`), (v) => `version ${v}`);
    book.onFailure('discard pending version', () => store.discardPending(ref, versionId));
    // before promotion nobody uses the inactive account: leave it with a password nobody has
    book.onFailure(`lock ${pick.inactive}`, () => pg.lockAccount(target, pick.inactive, true));

    await book.step(`set password on ${pick.inactive}`, () => pg.setPassword(ref, target, pick.inactive, versionId));
    await book.step(`verify login as ${pick.inactive}`, () => verify.verifyLogin(ref, target, versionId));

    if (input.approval === 'before-promote') {
      const approved = await book.step('await approval', () => book.awaitApproval(t.approvalTimeoutMs), () => `approved by ${book.approvedBy}`);
      if (!approved) throw new StopRotation(book.aborted ?? 'approval timed out');
    }

    await book.step('promote', () => store.promote(ref, versionId));
    book.commit();
    if (pick.currentVersionId && pick.active) {
      const [previous, oldAccount, newAccount] = [pick.currentVersionId, pick.active, pick.inactive];
      // compensations run newest-first: promote the previous version back, then, once
      // consumers that already switched have refreshed their cache, lock the new account
      book.onFailure(`lock ${newAccount} after consumers switch back`, async () => {
        await sleep(t.consumerCacheTtlMs);
        await pg.lockAccount(target, newAccount, true);
      });
      book.onFailure('promote previous version', () => store.promote(ref, previous));
      await book.step('grace period', () =>
        book.grace(t.graceMs, t.drainPollMs, async () => {
          book.oldAccountSessions = await pg.countSessions(target, oldAccount);
        }),
      );
      book.commit(); // point of no return: the old credential dies
      book.phase = 'retiring';
      await book.step(`lock ${oldAccount}`, () => pg.lockAccount(target, oldAccount, target.terminateSessions), (n) => `${n} session(s) ended`);
    }
    result = { outcome: 'rotated', activeAccount: pick.inactive, versionId };
  } catch (err) {
    const failed = book.steps.find((s) => s.status === 'failed')?.name ?? book.steps.at(-1)?.name;
    const reason = reasonOf(err);
    try {
      // nothing to undo (failed before staging, or after the point of no return): failed
      result = { outcome: (await book.compensate()) > 0 ? 'rolled-back' : 'failed', failedStep: failed, reason };
    } catch (compErr) {
      result = { outcome: 'failed', failedStep: failed, reason: `${reason}; compensation failed: ${reasonOf(compErr)}` };
    }
    if (isCancellation(err)) throw err; // a leak response took over: end as cancelled, compensated
  }
  book.phase = 'finished';
  return { secretId: input.secretId, steps: book.steps, ...result };
}
