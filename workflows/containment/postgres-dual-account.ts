/**
 * Containing a leaked dual-account PostgreSQL password. The leaked value may be either
 * account's (the other one still logs in during a grace period, or if a lock failed), so both
 * get new passwords: the inactive one a stored, verified, promoted one (store before use,
 * verify before promote, as in the rotation), the active one a password stored nowhere, with
 * zero grace. Every session of either account opened with the old passwords is ended.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { PostgresActivities } from '../../activities/postgres/activities';
import type { StoreActivities } from '../../activities/stores/activities';
import { DATABASE_CALL, STORE_CALL, VERIFY_CALL } from '../presets';
import type { RevokedCredential } from '../types';
import type { Containment } from './types';

const now = () => new Date(Date.now()).toISOString();

export const postgresDualAccount: Containment<'postgres-dual-account'> = {
  identities: (t) => [...t.postgres.accounts],

  async contain({ ref, postgres: pg, password }, c) {
    const db = proxyActivities<PostgresActivities>(DATABASE_CALL(c.timings));
    const verify = proxyActivities<PostgresActivities>(VERIFY_CALL(c.timings));
    const store = proxyActivities<StoreActivities>(STORE_CALL(c.timings));

    const pick = await c.step('pick account for the new password', () => db.pickInactiveAccount(ref, pg), (p) => `${p.inactive} (active: ${p.active ?? 'none'})`);
    const [fresh, leaked] = [pick.inactive, pick.active ?? pg.accounts[pg.accounts[0] === pick.inactive ? 1 : 0]];
    // before anything ends them: the blast radius needs to know who was connected
    const observed = await c.step('list live sessions', () => db.listSessions(pg, [...pg.accounts]), (s) => `${s.length} session(s)`);

    // store before use: a crash never leaves a live password that nothing records
    const versionId = await c.step('stage password', () => db.stagePassword(ref, pg, fresh, password, `${c.idempotencyKey}/stage`), (v) => `version ${v}`);
    await c.step(`set password on ${fresh}`, () => db.setPassword(ref, pg, fresh, versionId));
    const freshDeadAt = now(); // its old password is refused from here
    // nobody but this run knows the new password yet, so every session of the account is a leaked one
    const freshEnded = await c.step(`end sessions of ${fresh}`, () => db.endSessions(pg, fresh), (n) => `${n} session(s) ended`);
    await c.step(`verify login as ${fresh}`, () => verify.verifyLogin(ref, pg, versionId));
    await c.step('promote', () => store.promote(ref, versionId));
    // zero grace: consumers of the leaked account fail once, refresh, and get the promoted one
    const leakedEnded = await c.step(`lock ${leaked}`, () => db.lockAccount(pg, leaked, true), (n) => `${n} session(s) ended`);

    const revoked: RevokedCredential[] = [
      { identity: fresh, action: 'old password replaced by the new current one', sessionsEnded: freshEnded, at: freshDeadAt },
      { identity: leaked, action: 'password replaced by one stored nowhere', sessionsEnded: leakedEnded, at: now() },
    ];
    return { revoked, observed, current: { identity: fresh, versionId } };
  },
};
