/**
 * What every command reads once at start: the Temporal settings, the inventory, and a client
 * that carries the shared data converter.
 */
import type { Client, Connection } from '@temporalio/client';
import { loadTemporalConfig, type TemporalConfig } from '../client/config';
import { connectTemporal } from '../client/connection';
import { type Inventory, loadInventory } from '../inventory';

/** Settings and lazily opened resources of one command run. */
export interface CliContext {
  config: TemporalConfig;
  inventory(): Inventory;
  /** Opens the client on first use; `close()` releases it. */
  client(): Promise<Client>;
  close(): Promise<void>;
}

export function cliContext(): CliContext {
  const config = loadTemporalConfig();
  let inventory: Inventory | undefined;
  let conn: Promise<{ client: Client; connection: Connection }> | undefined;
  return {
    config,
    inventory: () => (inventory ??= loadInventory(config.inventoryPath)),
    client: async () => (await (conn ??= connectTemporal(config))).client,
    close: async () => {
      if (conn) await (await conn).connection.close();
    },
  };
}
