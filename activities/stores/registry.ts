/**
 * The stores the inventory declares, built once per worker from their specs, each wrapped so
 * every call is audited. A map keyed by store type makes the compiler name a type someone
 * forgot to build.
 */
import { Context } from '@temporalio/activity';
import type { Inventory, StoreSpec, StoreType } from '../../inventory';
import type { AuditSink } from '../audit';
import { auditedStore } from './audit';
import { AwsSecretsManagerStore, createAwsSecretsManagerClient } from './aws';
import { OciVaultStore } from './oci';
import type { SecretStore, StoreRegistry } from './types';
import { VaultKvStore } from './vault';

type Builders = { [T in StoreType]: (name: string, spec: Extract<StoreSpec, { type: T }>) => SecretStore };

const BUILDERS: Builders = {
  vault: (name, s) =>
    new VaultKvStore({
      name,
      address: s.address,
      mount: s.mount,
      namespace: s.namespace,
      auth: s.approle ? { kind: 'approle', roleId: s.approle.roleId, secretId: s.approle.secretId, mount: s.approle.mount } : { kind: 'token', token: s.token ?? '' },
    }),
  aws: (name, s) => new AwsSecretsManagerStore({ name, client: createAwsSecretsManagerClient({ region: s.region, endpoint: s.endpoint, credentials: s.credentials }) }),
  oci: (name, s) =>
    new OciVaultStore({
      name,
      compartmentId: s.compartmentId,
      vaultId: s.vaultId,
      keyId: s.keyId,
      vaultsEndpoint: s.endpoint,
      secretsEndpoint: s.endpoint,
      auth:
        s.auth === 'config-file'
          ? { kind: 'config-file', file: s.configFile, profile: s.profile }
          : s.auth === 'instance-principal'
            ? { kind: 'instance-principal' }
            : { kind: 'key', ...s.auth, region: s.region },
    }),
};

function build(name: string, spec: StoreSpec): SecretStore {
  // each branch narrows spec to its own type; the map above is exhaustive over StoreType
  switch (spec.type) {
    case 'vault':
      return BUILDERS.vault(name, spec);
    case 'aws':
      return BUILDERS.aws(name, spec);
    case 'oci':
      return BUILDERS.oci(name, spec);
  }
}

/** The calling workflow's id, when called from an activity. */
const activityWorkflowId = () => ({ workflowId: Context.current().info.workflowExecution?.workflowId });

/** Builds each declared store on first use, audited to `sink`. */
export function createStoreRegistry(inventory: Pick<Inventory, 'stores'>, sink: AuditSink): StoreRegistry {
  const built = new Map<string, SecretStore>();
  return {
    get(name) {
      let store = built.get(name);
      if (!store) {
        const spec = inventory.stores[name];
        if (!spec) throw new Error(`no store named "${name}" in the inventory`);
        store = auditedStore(build(name, spec), sink, activityWorkflowId);
        built.set(name, store);
      }
      return store;
    },
  };
}
