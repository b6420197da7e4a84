/**
 * Driving the real `rotator` binary from tests: an inventory file of the test's own, a
 * worker process (`rotator worker`) on a task queue of the test's own, and each command run
 * as a child process with its stdout, stderr and exit status.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaultKvStore } from '../../activities/stores/vault';
import type { PostgresRotationInput } from '../../workflows/types';
import { newDualAccountSecret } from './postgres';

const BIN = join(__dirname, '..', '..', 'bin', 'rotator.js');

/** What a command printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A secret of the test's own, as the inventory declares it. */
export interface InventorySecret {
  id: string;
  input: PostgresRotationInput;
  /** Fields written as they are (schedule, grace, approval…); the postgres block comes from `input`. */
  extra: Record<string, string>;
}

/** One test file's world: a temporary inventory, a task queue, the environment the CLI runs with. */
export class CliWorld {
  readonly dir = mkdtempSync(join(tmpdir(), 'rotator-cli-'));
  readonly inventoryPath = join(this.dir, 'rotations.yaml');
  readonly taskQueue: string;
  readonly vault = new VaultKvStore({ name: 'vault', address: process.env.VAULT_ADDR!, auth: { kind: 'token', token: process.env.VAULT_TOKEN! } });
  private secrets: InventorySecret[] = [];
  private worker?: ChildProcess;

  constructor(prefix: string) {
    this.taskQueue = `${prefix}-${randomUUID()}`;
    this.write();
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ROTATOR_INVENTORY: this.inventoryPath,
      ROTATOR_TASK_QUEUE: this.taskQueue,
      ROTATOR_AUDIT_LOG: join(this.dir, 'audit.jsonl'),
      ROTATOR_POLL_MS: '100',
      ROTATOR_ACTOR: 'alice',
      ROTATOR_LOG_LEVEL: 'warn',
      ...extra,
    };
  }

  /** A new database secret (database, group, admin credential in OpenBao) added to the inventory. */
  async addSecret(extra: Record<string, string> = {}, o: { check?: string } = {}): Promise<InventorySecret> {
    const input = await newDualAccountSecret(this.vault, { check: o.check });
    const secret: InventorySecret = { id: input.secretId, input, extra: { grace: '1s', consumerCacheTtl: '500ms', schedule: '{ every: 30d }', ...extra } };
    this.secrets.push(secret);
    this.write();
    return secret;
  }

  /** Changes a secret's fields (or removes it, with `null`) and rewrites the inventory. */
  update(id: string, extra: Record<string, string> | null): void {
    const i = this.secrets.findIndex((s) => s.id === id);
    if (i < 0) throw new Error(`no secret ${id} in this test's inventory`);
    if (extra === null) this.secrets.splice(i, 1);
    else this.secrets[i] = { ...this.secrets[i], extra: { ...this.secrets[i].extra, ...extra } };
    this.write();
  }

  /** Rewrites the inventory file from the secrets declared so far. */
  write(): void {
    writeFileSync(this.inventoryPath, inventoryYaml(this.secrets));
  }

  /** Runs `rotator <args>` to its end. */
  run(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: this.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** `rotator status <id> --json`, parsed. */
  async status(id: string): Promise<StatusJson> {
    const r = await this.run(['status', id, '--json']);
    if (r.code !== 0) throw new Error(`status ${id} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as StatusJson;
  }

  /** Starts `rotator worker` and waits until it polls. */
  async startWorker(): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'worker'], { env: this.env({ ROTATOR_LOG_LEVEL: 'info' }), stdio: ['ignore', 'ignore', 'pipe'] });
    this.worker = child;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('worker running')) resolve();
      });
      child.once('exit', (code, signal) => reject(new Error(`rotator worker exited (${signal ?? code}) before it ran:\n${log}`)));
    });
  }

  /** Stops the worker with SIGTERM (a graceful shutdown) and waits for it to exit. */
  async stopWorker(): Promise<void> {
    const w = this.worker;
    if (!w || w.exitCode !== null || w.signalCode !== null) return;
    const exited = new Promise((resolve) => w.once('exit', resolve));
    w.kill('SIGTERM');
    await exited;
  }
}

/** `rotator status <id> --json`. */
export interface StatusJson {
  id: string;
  type: string;
  store: string;
  schedule: string;
  lastRotation: { at: string; workflowId: string; runId: string } | null;
  lastRun: { outcome: string; closedAt: string; failedStep?: string; reason?: string; runId: string } | null;
  scheduleState: 'active' | 'paused' | 'not synced';
  nextRun: string | null;
  running: { workflowId: string; runId: string; startedAt: string; phase?: string; step?: string; graceRemainingMs?: number } | null;
  overdue: boolean | null;
  overdueReason: string;
}

/** An inventory for the given secrets (stores from the local services' environment). */
export function inventoryYaml(secrets: InventorySecret[]): string {
  const lines = [
    'stores:',
    '  vault:',
    '    type: vault',
    '    address: env:VAULT_ADDR',
    '    token: env:VAULT_TOKEN',
    '  aws:',
    '    type: aws',
    '    region: us-east-1',
    '    endpoint: env:AWS_ENDPOINT_URL',
    secrets.length === 0 ? 'secrets: []' : 'secrets:',
  ];
  for (const { id, input, extra } of secrets) {
    const pg = input.postgres;
    lines.push(
      `  - id: ${id}`,
      '    type: postgres-dual-account',
      `    store: ${input.ref.store}`,
      `    path: ${input.ref.path}`,
      '    postgres:',
      `      host: ${pg.host}`,
      '      port: env:PGPORT',
      `      database: ${pg.database}`,
      `      admin: { store: ${pg.admin.store}, path: ${pg.admin.path} }`,
      `      accounts: [${pg.accounts.join(', ')}]`,
      `      group: ${pg.group}`,
      `      check: ${JSON.stringify(pg.check)}`,
      '      terminateSessions: true',
      ...Object.entries(extra).map(([k, v]) => `    ${k}: ${v}`),
      '    owners: [test-oncall]',
    );
  }
  return `${lines.join('\n')}\n`;
}
