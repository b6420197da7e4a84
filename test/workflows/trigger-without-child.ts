// A deliberately incompatible trigger (it no longer starts the rotation as a child), used to
// show that replaying the saved trigger histories catches such a change.
import type { ScheduledRotation, TriggerResult } from '../../workflows/trigger-rotation';

export async function triggerRotation(rotation: ScheduledRotation): Promise<TriggerResult> {
  return { secretId: rotation.input.secretId, workflowId: `rotation/${rotation.input.secretId}`, outcome: 'skipped', reason: 'changed' };
}
