/** Queries and updates shared by every rotation workflow and its clients (CLI, chat). */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LeakProgress, RotationProgress } from './types';

/** Who asks, as the CLI or chat knows them. */
export interface Actor {
  by?: string;
}

export const progressQuery = defineQuery<RotationProgress>('progress');
/** A leak response's steps and SLA clock; the same query name, so any tool listing steps reads both. */
export const leakProgressQuery = defineQuery<LeakProgress>('progress');
/** End the grace period now; refused when no grace period is running. */
export const skipGraceUpdate = defineUpdate<void, [Actor]>('skipGrace');
/** Lengthen the running grace period by `ms`; refused when none is running. */
export const extendGraceUpdate = defineUpdate<void, [{ ms: number } & Actor]>('extendGrace');
/** Approve promotion; refused unless awaiting approval, and from the requester. */
export const approveUpdate = defineUpdate<void, [Actor]>('approve');
/** Stop and compensate; refused once the old credential is retired. */
export const abortUpdate = defineUpdate<void, [Actor & { reason?: string }]>('abort');
