/** Every kind's containment, by kind: the leak-response playbook dispatches here. */
import { ApplicationFailure } from '@temporalio/workflow';
import type { SecretKind } from '../types';
import { postgresDualAccount } from './postgres-dual-account';
import type { Containment, Containments } from './types';

export type { ContainContext, Containment } from './types';

/** A kind whose containment is not written yet: the incident fails loudly and says what to do. */
const byHand = <K extends SecretKind>(kind: K): Containment<K> => ({
  identities: () => [],
  async contain() {
    throw ApplicationFailure.nonRetryable(`rotator cannot contain ${kind} secrets yet: revoke the credential at its source by hand`, 'ContainmentUnsupported');
  },
});

const CONTAINMENTS: Containments = {
  'postgres-dual-account': postgresDualAccount,
  'api-key': byHand('api-key'),
  certificate: byHand('certificate'),
};

/** The containment of a kind. */
export function containmentOf<K extends SecretKind>(kind: K): Containment<K> {
  return CONTAINMENTS[kind];
}
