/**
 * Store activities that need no value: promote, discard, describe. Workflows call these
 * with references and version ids; the kind-specific activities stage values themselves.
 */
import { bounded } from '../boundary';
import type { SecretDescription, StoreRegistry } from './types';
import type { SecretRef } from '../../workflows/types';

export const createStoreActivities = (d: { stores: StoreRegistry }) =>
  bounded({
    /** pending -> current, current -> previous (or, for rollback, previous -> current). */
    async promote(ref: SecretRef, versionId: string): Promise<void> {
      await d.stores.get(ref.store).promote(ref, versionId);
    },
    async discardPending(ref: SecretRef, versionId: string): Promise<void> {
      await d.stores.get(ref.store).discardPending(ref, versionId);
    },
    async describeSecret(ref: SecretRef): Promise<SecretDescription> {
      return d.stores.get(ref.store).describe(ref);
    },
  });

/** The activity interface workflows proxy. */
export type StoreActivities = ReturnType<typeof createStoreActivities>;
