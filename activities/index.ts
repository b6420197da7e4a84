/**
 * All activities, built from injected clients. The worker registers the result; the
 * workflows see only the types.
 */
import { Client } from 'pg';
import { createIncidentActivities, type IncidentDeps } from './incident/activities';
import { createNotifyActivities, type NotifyDeps } from './notify/activities';
import { createPostgresActivities, type PgConnect } from './postgres/activities';
import { createStoreActivities } from './stores/activities';
import type { StoreRegistry } from './stores/types';

/** What every activity may use. */
export interface ActivityDeps {
  stores: StoreRegistry;
  connect: PgConnect;
  /** Admin sessions, pooled by the worker (createAdminPool); `connect` when not given. */
  connectAdmin?: PgConnect;
  /** The leak response's clients and settings; without them this worker hosts rotations only. */
  leak?: LeakResponseDeps;
}

/** What the leak response's own activities need (containment reuses the rotation's). */
export type LeakResponseDeps = IncidentDeps & NotifyDeps;

/** Opens a real PostgreSQL session (password authentication over TCP). */
export const connectPostgres: PgConnect = async (cfg) => {
  const client = new Client({ ...cfg, connectionTimeoutMillis: 10_000, application_name: 'rotator' });
  await client.connect();
  return client;
};

export const createActivities = (d: ActivityDeps) => ({
  ...createStoreActivities(d),
  ...createPostgresActivities(d),
  ...(d.leak ? { ...createIncidentActivities(d.leak), ...createNotifyActivities(d.leak) } : {}),
});
