// A deliberately incompatible rotation (the store's promote before anything else), used to
// show that replay catches a change that would break running workflows.
import { proxyActivities } from '@temporalio/workflow';
import type { StoreActivities } from '../../activities/stores/activities';
import type { PostgresRotationInput } from '../../workflows/types';

const store = proxyActivities<StoreActivities>({ startToCloseTimeout: '10s' });

export async function rotatePostgresDualAccount(input: PostgresRotationInput): Promise<void> {
  await store.promote(input.ref, 'reordered');
}
