/**
 * The audit decorator over the real AWS adapter (moto), writing to a real JSON-lines file:
 * every call, failures included, is recorded, and no value written reaches the file.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuditRecord, JsonLinesAuditSink } from '../../activities/audit';
import { auditedStore } from '../../activities/stores/audit';
import { AwsSecretsManagerStore, createAwsSecretsManagerClient } from '../../activities/stores/aws';
import { ConflictError, NotFoundError } from '../../activities/stores/errors';
import { secretValue } from './contract';

const endpoint = process.env.AWS_ENDPOINT_URL;
if (!endpoint) throw new Error('AWS_ENDPOINT_URL is not set: start moto with `npm run services` and export `npm run --silent services -- env`');

const client = createAwsSecretsManagerClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const dir = mkdtempSync(join(tmpdir(), 'rotator-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('auditedStore over AWS Secrets Manager (moto)', () => {
  it('records every call with ref, operation, version and outcome, and never a value', async () => {
    const file = join(dir, 'nested', 'audit.jsonl'); // parent directory does not exist yet
    const store = auditedStore(new AwsSecretsManagerStore({ name: 'aws-main', client }), new JsonLinesAuditSink(file), () => ({ workflowId: 'rotation/payments-db' }));
    const ref = { store: 'aws-main', path: `rotator-test/${randomUUID()}` };
    const v1 = secretValue('v1');
    const v2 = secretValue('v2');
    const other = secretValue('other');

    const id1 = await store.putPending(ref, v1, randomUUID());
    await store.promote(ref, id1);
    const token = randomUUID();
    const id2 = await store.putPending(ref, v2, token);
    await expect(store.putPending(ref, other, token)).rejects.toBeInstanceOf(ConflictError);
    expect((await store.getVersion(ref, 'pending')).value).toBe(v2);
    await expect(store.getVersion(ref, { versionId: 'no-such-version-0000' })).rejects.toBeInstanceOf(NotFoundError);
    await store.discardPending(ref, id2);
    await store.describe(ref);

    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    const records = text.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    expect(records.map((r) => [r.operation, r.versionId, r.outcome])).toEqual([
      ['putPending', id1, 'ok'],
      ['promote', id1, 'ok'],
      ['putPending', id2, 'ok'],
      ['putPending', undefined, 'Conflict'],
      ['getVersion', id2, 'ok'],
      ['getVersion', 'no-such-version-0000', 'NotFound'],
      ['discardPending', id2, 'ok'],
      ['describe', undefined, 'ok'],
    ]);
    for (const r of records) {
      expect(r).toMatchObject({ actor: 'rotator', store: 'aws-main', ref: ref.path, workflowId: 'rotation/payments-db' });
      expect(Number.isNaN(Date.parse(r.time))).toBe(false);
    }
    expect(records[4].detail).toMatchObject({ selector: 'pending' });
    expect(records[7].detail).toMatchObject({ exists: true, versions: 1 });

    for (const value of [v1, v2, other]) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(JSON.parse(value).password);
    }
  });

  it('appends to an existing file and records without a workflow context', async () => {
    const file = join(dir, 'plain.jsonl');
    const store = auditedStore(new AwsSecretsManagerStore({ name: 'aws-main', client }), new JsonLinesAuditSink(file), () => {
      throw new Error('not in an activity');
    });
    const ref = { store: 'aws-main', path: `rotator-test/${randomUUID()}` };
    await store.describe(ref);
    await expect(store.getVersion(ref, 'current')).rejects.toBeInstanceOf(NotFoundError);
    const records = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    expect(records.map((r) => [r.operation, r.outcome, r.workflowId])).toEqual([
      ['describe', 'ok', undefined],
      ['getVersion', 'NotFound', undefined],
    ]);
    expect(records[0].detail).toMatchObject({ exists: false, versions: 0 });
  });
});
