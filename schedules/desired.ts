/**
 * The Temporal Schedule a secret should have, derived from the inventory alone, so the same
 * inventory always yields the same schedule and a second sync finds nothing to change.
 */
import { resolve } from 'node:path';
import { type ScheduleOptions, ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { rotationPlan } from '../client/plans';
import { formatDuration, type Inventory, type Schedule, type SecretSpec } from '../inventory';
import { scheduleIdOf, triggerWorkflowIdOf } from '../workflows/ids';
import type { ScheduledRotation } from '../workflows/trigger-rotation';

/**
 * Marks a schedule as rotator's (and names its secret). Indexed and never encrypted, so
 * sync can find its own schedules with a visibility query and never touch anyone else's.
 * The namespace must declare it: `temporal operator search-attribute create --name RotatorSecretId --type Keyword`.
 */
export const ROTATOR_SECRET_ID = defineSearchAttributeKey('RotatorSecretId', SearchAttributeType.KEYWORD);

/** The schedule memo (set once, at creation): who made it. */
export interface ScheduleMemo {
  managedBy: 'rotator';
  secretId: string;
  inventory: string;
}

/** The trigger action's memo: what sync compares to decide create / update / unchanged. */
export interface ActionMemo {
  secretId: string;
  /** 'every 30d' or 'cron 0 3 * * 1', as the inventory says it. */
  schedule: string;
  inventory: string;
}

/** The workflow type every rotator schedule starts. */
export const TRIGGER_WORKFLOW = 'triggerRotation';

/** Missed runs are caught up at most this late (server outage), and never more than one interval's worth. */
const MAX_CATCHUP_MS = 24 * 3_600_000;
const MIN_CATCHUP_MS = 60_000;

/** What one secret's schedule must look like. */
export interface DesiredSchedule {
  secretId: string;
  scheduleId: string;
  scheduleText: string;
  inventoryPath: string;
  taskQueue: string;
  rotation: ScheduledRotation;
  catchupWindowMs: number;
  note: string;
  options: ScheduleOptions;
}

/** 'every 30d' or 'cron 0 3 * * 1'. */
export const describeSchedule = (s: Schedule): string => ('every' in s ? `every ${formatDuration(s.every)}` : `cron ${s.cron}`);

/** The note a schedule carries while it is not paused. */
export const managedNote = (inventoryPath: string) => `managed by rotator from ${inventoryPath}: edit the inventory and run rotator schedules sync`;

/**
 * The desired schedule of `spec`, or a PlanError (from rotationPlan) when its kind cannot be
 * rotated yet. The rotation input is fixed at sync time: it holds references and durations
 * only, and a changed inventory changes it, so sync updates the schedule.
 */
export function desiredSchedule(inventory: Inventory, spec: SecretSpec, o: { inventoryPath: string; taskQueue: string }): DesiredSchedule {
  const plan = rotationPlan(inventory, spec.id, { requestedBy: 'schedule' });
  const rotation: ScheduledRotation = plan;
  const inventoryPath = resolve(o.inventoryPath);
  const scheduleId = scheduleIdOf(spec.id);
  const scheduleText = describeSchedule(spec.schedule);
  const note = managedNote(inventoryPath);
  const memo: ScheduleMemo = { managedBy: 'rotator', secretId: spec.id, inventory: inventoryPath };
  const actionMemo: ActionMemo = { secretId: spec.id, schedule: scheduleText, inventory: inventoryPath };
  const catchupWindowMs = catchupWindow(spec.schedule);
  return {
    secretId: spec.id,
    scheduleId,
    scheduleText,
    inventoryPath,
    taskQueue: o.taskQueue,
    rotation,
    catchupWindowMs,
    note,
    options: {
      scheduleId,
      spec: scheduleSpec(spec.id, spec.schedule),
      action: { type: 'startWorkflow', workflowType: TRIGGER_WORKFLOW, workflowId: triggerWorkflowIdOf(spec.id), taskQueue: o.taskQueue, args: [rotation], memo: { ...actionMemo } },
      // SKIP: a trigger still waiting for a worker is not joined by more of them
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: catchupWindowMs },
      memo: { ...memo },
      typedSearchAttributes: [{ key: ROTATOR_SECRET_ID, value: spec.id }],
      state: { note },
    },
  };
}

function catchupWindow(s: Schedule): number {
  if (!('every' in s)) return MAX_CATCHUP_MS;
  return Math.min(MAX_CATCHUP_MS, Math.max(MIN_CATCHUP_MS, Math.ceil(s.every / 1000) * 1000));
}

// Temporal knows @yearly, @monthly, @weekly, @daily and @hourly; the inventory also accepts these two
const MACROS: Record<string, string> = { '@annually': '@yearly', '@midnight': '@daily' };

function scheduleSpec(secretId: string, s: Schedule): ScheduleSpec {
  if ('cron' in s) return { cronExpressions: [MACROS[s.cron] ?? s.cron] };
  // Temporal counts intervals in whole seconds from the epoch; an offset derived from the
  // secret id spreads secrets with the same interval instead of firing them all at once
  const everySeconds = Math.max(1, Math.ceil(s.every / 1000));
  return { intervals: [{ every: everySeconds * 1000, offset: (fnv1a(secretId) % everySeconds) * 1000 }] };
}

/** A small stable hash (FNV-1a, 32 bits): the same id gives the same offset on every sync. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
