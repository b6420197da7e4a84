/** Inventory -> Temporal Schedules: sync, and the controls of one secret's schedule. */
export { type DesiredSchedule, desiredSchedule, describeSchedule, ROTATOR_SECRET_ID, TRIGGER_WORKFLOW } from './desired';
export { applySync, planSync, type SyncAction, type SyncEntry, type SyncScope } from './sync';
export { NoScheduleError, pauseSchedule, resumeSchedule, triggerSchedule, type TriggeredRun } from './control';
