/**
 * Containment per secret kind: kill the leaked credential at its source, now, with no grace.
 * The leak-response playbook looks a kind's containment up in a `Containments` map, so API
 * keys and certificates add theirs there without touching the playbook, and the compiler
 * names a kind that has none.
 *
 * A containment is orchestration (it runs in the workflow) over the rotation's own
 * activities: each write is an activity whose result is recorded, so a retry or a crash
 * between steps resumes where it stopped instead of staging a second password.
 */
import type { ContainTarget, ContainmentReport, LeakTimings, SecretKind } from '../types';

/** What a containment is given besides its target. */
export interface ContainContext {
  timings: LeakTimings;
  /** Unique to this run: the idempotency tokens of its writes derive from it. */
  idempotencyKey: string;
  /** Runs and records one step of the containment (the incident's timeline shows it). */
  step<T>(name: string, fn: () => Promise<T>, detail?: (r: T) => string | undefined): Promise<T>;
}

/** How a secret of kind K is contained: contain(target) -> what was revoked. */
export interface Containment<K extends SecretKind> {
  contain(target: ContainTarget<K>, ctx: ContainContext): Promise<ContainmentReport>;
  /** The credentials a leak of this kind concerns, for the blast radius when containment failed. */
  identities(target: ContainTarget<K>): string[];
}

/** One containment per kind. */
export type Containments = { [K in SecretKind]: Containment<K> };
