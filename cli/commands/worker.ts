/** `rotator worker`: hosts workflows and activities until SIGINT/SIGTERM. */
import { JsonLinesAuditSink } from '../../activities/audit';
import { connectPostgres, createActivities } from '../../activities/index';
import { createAdminPool } from '../../activities/postgres/admin-pool';
import { createStoreRegistry } from '../../activities/stores/registry';
import { createLogger } from '../../client/logger';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { leakResponseDeps, loadLeakEnv } from '../../workers/leak-response';
import { createRotatorWorker } from '../../workers/worker';
import type { CliContext } from '../context';

export async function runWorker(ctx: CliContext, o: { maxCachedWorkflows?: number }): Promise<void> {
  const log = createLogger('rotator-worker');
  // the SDK's INFO lines include webpack statistics for the workflow bundle: keep WARN and up
  Runtime.install({ logger: new DefaultLogger((process.env.ROTATOR_SDK_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });
  const inventory = ctx.inventory();
  const auditPath = process.env.ROTATOR_AUDIT_LOG ?? '.rotator/audit.jsonl';
  const stores = createStoreRegistry(inventory, new JsonLinesAuditSink(auditPath));
  const leak = leakResponseDeps(loadLeakEnv(), { inventory, client: await ctx.client(), rotatorAuditLog: auditPath, log });
  const connectAdmin = createAdminPool();
  const w = await createRotatorWorker({
    config: ctx.config,
    activities: createActivities({ stores, connect: connectPostgres, connectAdmin, leak }),
    maxCachedWorkflows: o.maxCachedWorkflows,
  });
  log.info(
    { address: ctx.config.address, namespace: ctx.config.namespace, taskQueue: ctx.config.taskQueue, inventory: ctx.config.inventoryPath, secrets: inventory.secrets.length, auditLog: auditPath },
    'worker running; stop with SIGINT or SIGTERM (in-flight activities get the shutdown grace time)',
  );
  // the SDK turns SIGINT/SIGTERM into a graceful shutdown; run() settles when it is done
  await w.worker.run();
  await w.close();
  await connectAdmin.end();
  log.info('worker stopped');
}
