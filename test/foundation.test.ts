import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmCodec, parseCodecKeys } from '../client/codec';
import { ConfigError, loadTemporalConfig } from '../client/config';
import { decodedHistoryText, rawHistoryText } from './helpers/history';
import { startHarness, type TemporalHarness } from './helpers/temporal';
import { createEchoActivities } from './helpers/echo-activities';
import { secretsInLogs } from './helpers/log-scan';
import { startServices } from './services/services';

const calls: string[] = [];
let h: TemporalHarness;

beforeAll(async () => {
  h = await startHarness({ prefix: 'foundation', activities: createEchoActivities(calls), workflowsPath: require.resolve('./workflows/echo') });
});
afterAll(async () => h?.stop());

const codecOf = (cfg: { codecKeys: ReturnType<typeof parseCodecKeys> }) => new AesGcmCodec(cfg.codecKeys);
const keyText = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('workflows on the real Temporal dev server', () => {
  it('a workflow calls an activity end to end', async () => {
    const result = await h.client.workflow.execute('echoWorkflow', { taskQueue: h.taskQueue, workflowId: `echo-${randomUUID()}`, args: ['hello'] });
    expect(result).toBe('workflow saw activity saw hello');
    expect(calls).toContain('echo');
  });

  it('a marker given to a workflow leaves only ciphertext in its history', async () => {
    const marker = `MARKER-${randomBytes(8).toString('hex')}`;
    const workflowId = `echo-${randomUUID()}`;
    await h.client.workflow.execute('echoWorkflow', { taskQueue: h.taskQueue, workflowId, args: [marker] });
    const raw = await rawHistoryText(h.client, workflowId);
    expect(raw).toContain('binary/encrypted');
    expect(raw).not.toContain(marker);
    expect(raw).not.toContain(Buffer.from(marker).toString('base64'));
    // the scan can fail: decoded through the codec, the marker is there (input, activity result, workflow result)
    const decoded = await decodedHistoryText(h.client, workflowId, codecOf(h.config));
    expect(decoded.split(marker).length - 1).toBeGreaterThanOrEqual(3);
  });

  it('failure messages and stack traces are encrypted too', async () => {
    const marker = `FAILMARK-${randomBytes(8).toString('hex')}`;
    const workflowId = `fail-${randomUUID()}`;
    await expect(h.client.workflow.execute('failingWorkflow', { taskQueue: h.taskQueue, workflowId, args: [marker] })).rejects.toThrow();
    const raw = await rawHistoryText(h.client, workflowId);
    expect(raw).not.toContain(marker);
    expect(raw).not.toContain('activity refused');
    const decoded = await decodedHistoryText(h.client, workflowId, codecOf(h.config));
    expect(decoded).toContain(`activity refused ${marker}`);
  });
});

describe('payload codec', () => {
  it('rotating the codec key: the old key still decrypts, the new key encrypts', async () => {
    const [oldKey] = parseCodecKeys(keyText('k-old'), 'test');
    const [newKey] = parseCodecKeys(keyText('k-new'), 'test');
    const payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hello"') };
    const [sealedOld] = await new AesGcmCodec([oldKey]).encode([payload]);

    const rotated = new AesGcmCodec([newKey, oldKey]);
    const [opened] = await rotated.decode([sealedOld]);
    expect(Buffer.from(opened.data!).toString()).toBe('"hello"');
    const [sealedNew] = await rotated.encode([payload]);
    expect(Buffer.from(sealedNew.metadata!['encryption-key-id']!).toString()).toBe('k-new');
    // once the old key is retired, its payloads no longer open, with a message naming the key id only
    await expect(new AesGcmCodec([newKey]).decode([sealedOld])).rejects.toThrow('payload sealed with codec key "k-old", which is not configured');
    // a tampered payload is refused, not silently decoded
    const tampered = { ...sealedNew, data: Buffer.from(sealedNew.data!).fill(1, 20, 21) };
    await expect(rotated.decode([tampered])).rejects.toThrow();
  });

  it('a workflow started under the old key completes and is read under the rotated keys', async () => {
    const old = keyText('k-before');
    const oldCfg = loadTemporalConfig({ ...process.env, ROTATOR_CODEC_KEYS: old });
    const workflowId = `echo-${randomUUID()}`;
    const { connectTemporal } = await import('../client/connection');
    const before = await connectTemporal(oldCfg);
    // the harness worker has the local key only, so it runs this one under a worker of the old key
    const { createRotatorWorker } = await import('../workers/worker');
    const taskQueue = `codec-rotation-${randomUUID()}`;
    const w = await createRotatorWorker({ config: oldCfg, taskQueue, activities: createEchoActivities([]), workflowsPath: require.resolve('./workflows/echo') });
    await w.worker.runUntil(before.client.workflow.execute('echoWorkflow', { taskQueue, workflowId, args: ['rotate-me'] }));
    await w.close();
    await before.connection.close();

    const after = await connectTemporal(loadTemporalConfig({ ...process.env, ROTATOR_CODEC_KEYS: `${keyText('k-after')},${old}` }));
    expect(await after.client.workflow.getHandle(workflowId).result()).toBe('workflow saw activity saw rotate-me');
    await after.connection.close();
  });

  it('pointed at another Temporal with no key configured, a clear error', () => {
    const env = { TEMPORAL_ADDRESS: 'temporal.example.internal:7233' };
    expect(() => loadTemporalConfig(env)).toThrow(ConfigError);
    expect(() => loadTemporalConfig(env)).toThrow(/no payload codec key for Temporal at temporal.example.internal:7233: set ROTATOR_CODEC_KEYS/);
  });

  it('a malformed key list is refused without quoting it', () => {
    const secretish = `k1:${Buffer.from('too-short').toString('base64')}`;
    expect(() => parseCodecKeys(secretish, 'ROTATOR_CODEC_KEYS')).toThrow('ROTATOR_CODEC_KEYS: entry 1 is not id:base64-of-32-bytes');
    try {
      parseCodecKeys(secretish, 'ROTATOR_CODEC_KEYS');
    } catch (err) {
      expect(String(err)).not.toContain(secretish.split(':')[1]);
    }
  });
});

describe('the log scan the secret tests rely on', () => {
  it('finds a value this process printed and names the log, not the value', () => {
    const marker = `LOGMARK-${randomBytes(8).toString('hex')}`;
    process.stderr.write(`a careless line with ${marker}\n`);
    expect(secretsInLogs([`absent-${marker}`, marker])).toEqual(['test process output: value #1']);
  });
});

describe('the services command', () => {
  it('run again, it starts nothing', async () => {
    expect((await startServices()).started).toEqual([]);
    const r = spawnSync('npm', ['run', '--silent', 'services'], { encoding: 'utf8', env: process.env });
    expect(r.status).toBe(0);
    expect(r.stderr.match(/already running at/g)).toHaveLength(4);
    expect(r.stderr).not.toMatch(/ready at|building/);
  });

  it('env prints every address as NAME=value', () => {
    const out = execFileSync('npm', ['run', '--silent', 'services', '--', 'env'], { encoding: 'utf8' });
    const env = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    for (const k of ['TEMPORAL_ADDRESS', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'DATABASE_URL', 'VAULT_ADDR', 'VAULT_TOKEN', 'AWS_ENDPOINT_URL', 'ROTATOR_CODEC_KEYS']) {
      expect(env[k], k).toBe(process.env[k]);
    }
  });
});
