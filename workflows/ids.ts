/**
 * Ids derived from a secret id. "One rotation per secret" rests on every starter (CLI, chat,
 * schedules) using the same workflow id, so the derivation lives in one place that the
 * workflow sandbox may import too.
 */

/** The workflow id of a secret's rotation: the server refuses a second running one. */
export const rotationWorkflowId = (secretId: string) => `rotation/${secretId}`;

/** The id of a secret's Temporal Schedule. */
export const scheduleIdOf = (secretId: string) => `schedule/${secretId}`;

/** The id a schedule gives its trigger workflows (the server appends the scheduled time). */
export const triggerWorkflowIdOf = (secretId: string) => `trigger/${secretId}`;
