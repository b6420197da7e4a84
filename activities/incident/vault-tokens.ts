/**
 * What a leak response does with a Vault/OpenBao store beyond its KV data: look up its own
 * token (never revoked) and revoke other tokens by accessor. A token is revoked with its child
 * tokens and its leases (auth/token/revoke-accessor), so no separate lease revocation is
 * needed for the tokens that read a KV secret. (A kind whose secret *is* a lease revokes it with
 * sys/leases/revoke-prefix: current OpenBao removed the legacy sys/revoke-prefix that
 * node-vault's revokePrefix() calls.)
 */
import vault from 'node-vault';
import { z } from 'zod';
import type { Inventory } from '../../inventory';
import type { SecretRef } from '../../workflows/types';
import { InvalidValueError } from '../stores/errors';
import { mapVaultError } from '../stores/vault';

/** Who the rotator is to Vault: its token's accessor and, with AppRole, its entity. */
export interface VaultSelf {
  accessor: string;
  /** Every AppRole login of the rotator shares this entity (a token has none when empty). */
  entityId?: string;
}

/** The token operations the invalidation step needs. */
export interface VaultTokens {
  self(): Promise<VaultSelf>;
  /** Revokes the token, its children and leases; an accessor that no longer exists is a no-op. */
  revokeAccessor(accessor: string): Promise<void>;
}

/** One Vault store, as a leak response sees it. */
export interface VaultAccess {
  tokens: VaultTokens;
  /** The path a read of `ref` carries in the audit log: `<mount>/data/<path>`. */
  dataPath(ref: SecretRef): string;
  /** The file audit device's log, when this worker can read it. */
  auditLog?: string;
}

/** Looks up the Vault access of a store by inventory name; undefined for a store of another type. */
export type VaultAccessFor = (store: string) => VaultAccess | undefined;

const Self = z.object({ data: z.object({ accessor: z.string(), entity_id: z.string().optional() }) });
const Login = z.object({ auth: z.object({ client_token: z.string() }) });

type Auth = { kind: 'token'; token: string } | { kind: 'approle'; roleId: string; secretId: string; mount: string };

/** Token operations over node-vault, authenticated as the store is (same token, or the same AppRole). */
export class VaultTokenAdmin implements VaultTokens {
  private readonly client: vault.client;
  private readonly auth: Auth;
  private loggedIn = false;

  constructor(o: { address: string; namespace?: string; auth: Auth; requestTimeoutMs?: number }) {
    this.auth = o.auth;
    this.client = vault({ endpoint: o.address, namespace: o.namespace, debug: () => undefined, requestOptions: { timeout: o.requestTimeoutMs ?? 10_000 } });
    // never the ambient VAULT_TOKEN / VAULT_NAMESPACE: configuration is injected
    Object.assign(this.client, { token: o.auth.kind === 'token' ? o.auth.token : '', namespace: o.namespace ?? '', pathPrefix: '' });
  }

  async self(): Promise<VaultSelf> {
    const path = 'auth/token/lookup-self';
    const out = Self.safeParse(await this.call('read', path, () => this.client.read(path)));
    if (!out.success) throw new InvalidValueError(undefined, `unexpected response from ${path}`);
    return { accessor: out.data.data.accessor, entityId: out.data.data.entity_id || undefined };
  }

  async revokeAccessor(accessor: string): Promise<void> {
    const path = 'auth/token/revoke-accessor';
    // 204, or 200 with a warning when no token has this accessor (already revoked or expired): done either way
    await this.call('write', path, () => this.client.write(path, { accessor }));
  }

  private async call<T>(op: 'read' | 'write', path: string, send: () => Promise<T>): Promise<T> {
    if (this.auth.kind === 'approle' && !this.loggedIn) {
      const login = `auth/${this.auth.mount}/login`;
      const { roleId, secretId } = this.auth;
      const out = Login.safeParse(await this.request('write', login, () => this.client.write(login, { role_id: roleId, secret_id: secretId })));
      if (!out.success) throw new InvalidValueError(undefined, `unexpected response from ${login}`);
      this.client.token = out.data.auth.client_token;
      this.loggedIn = true;
    }
    return this.request(op, path, send);
  }

  /** One request; its failure becomes a typed error that never quotes Vault. */
  private async request<T>(op: 'read' | 'write', path: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw mapVaultError(undefined, op, path, err);
    }
  }
}

/** The Vault access of every Vault store the inventory declares; `auditLog` is where this worker reads the audit device. */
export function vaultAccessFromInventory(inventory: Pick<Inventory, 'stores'>, o: { auditLog?: string }): VaultAccessFor {
  const built = new Map<string, VaultAccess>();
  return (name) => {
    const spec = inventory.stores[name];
    if (spec?.type !== 'vault') return undefined;
    let access = built.get(name);
    if (!access) {
      const auth: Auth = spec.approle
        ? { kind: 'approle', roleId: spec.approle.roleId, secretId: spec.approle.secretId, mount: spec.approle.mount }
        : { kind: 'token', token: spec.token ?? '' };
      access = { tokens: new VaultTokenAdmin({ address: spec.address, namespace: spec.namespace, auth }), dataPath: kvDataPath(spec.mount), auditLog: o.auditLog };
      built.set(name, access);
    }
    return access;
  };
}

/** `<mount>/data/<path>`, as the KV v2 adapter requests it (each segment URL-encoded). */
export const kvDataPath = (mount = 'secret') => (ref: SecretRef) => `${mount.replace(/^\/+|\/+$/g, '')}/data/${ref.path.split('/').map(encodeURIComponent).join('/')}`;
