/**
 * The inventory: the design's example loads, durations parse, and every malformed inventory
 * under test/fixtures/inventories/ is refused with the exact issues (file:line:col: path:
 * message) a person would need to fix it, none of which quotes a value.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Environment, formatDuration, InventoryError, loadInventory, parseDuration, parseInventory } from '../inventory';

const ENV: Environment = {
  VAULT_ADDR: 'http://127.0.0.1:8200',
  VAULT_TOKEN: 'test-vault-token',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
  PGPORT: '55432',
};

const example = relative(process.cwd(), join(__dirname, '..', 'examples', 'rotations.yaml'));
const fixture = (name: string) => relative(process.cwd(), join(__dirname, 'fixtures', 'inventories', name));

/** The InventoryError a load throws; fails the test if the file loads. */
function refusal(load: () => unknown): InventoryError {
  try {
    load();
  } catch (err) {
    if (err instanceof InventoryError) return err;
    throw err;
  }
  throw new Error('the inventory loaded, but should have been refused');
}

/** The error lines for a fixture, loaded with ENV (or the env given). */
function errorLines(name: string, env: Environment = ENV): string[] {
  return refusal(() => loadInventory(fixture(name), env)).message.split('\n');
}

describe('the example inventory', () => {
  it('loads as it stands, with env references resolved and durations in milliseconds', () => {
    const inventory = loadInventory(example, ENV);
    expect(inventory.stores).toEqual({
      vault: { type: 'vault', address: 'http://127.0.0.1:8200', token: 'test-vault-token', mount: 'secret' },
      aws: { type: 'aws', region: 'us-east-1', endpoint: 'http://127.0.0.1:5000' },
    });
    expect(inventory.secrets).toHaveLength(1);
    const [secret] = inventory.secrets;
    expect(secret).toMatchObject({
      id: 'payments-db',
      type: 'postgres-dual-account',
      store: 'vault',
      path: 'apps/payments/db',
      grace: 2_000,
      consumerCacheTtl: 1_000,
      schedule: { every: 30 * 86_400_000 },
      owners: ['payments-oncall'],
    });
    if (secret.type !== 'postgres-dual-account') throw new Error('expected a postgres secret');
    expect(secret.postgres).toEqual({
      host: '127.0.0.1',
      port: 55432,
      database: 'payments',
      admin: { store: 'vault', path: 'admin/payments-db' },
      accounts: ['payments_a', 'payments_b'],
      group: 'payments_app',
      check: 'SELECT 1',
      terminateSessions: false,
    });
  });

  it('names every variable it needs when the environment lacks them', () => {
    const lines = refusal(() => loadInventory(example, {})).message.split('\n');
    // lines counted from `stores:`, so the comment header above it may change freely
    const top = readFileSync(example, 'utf8').split('\n').indexOf('stores:') + 1;
    expect(lines).toEqual([
      `${example}:${top + 3}:14: stores.vault.address: environment variable VAULT_ADDR is not set`,
      `${example}:${top + 4}:12: stores.vault.token: environment variable VAULT_TOKEN is not set`,
      `${example}:${top + 8}:15: stores.aws.endpoint: environment variable AWS_ENDPOINT_URL is not set`,
      `${example}:${top + 16}:13: secrets[0].postgres.port: environment variable PGPORT is not set`,
    ]);
  });
});

describe('durations', () => {
  it('parse into milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('30d')).toBe(2_592_000_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1d2h3m4s5ms')).toBe(93_784_005);
    expect(parseDuration('0s')).toBe(0);
  });

  it('refuse anything else, without quoting it', () => {
    for (const text of ['', '2 weeks', '1.5h', '30', 'h', '30m1h', '1s1s', ' 2s', '2S', '-1s', '1w']) {
      expect(() => parseDuration(text), text).toThrow('expected a duration such as 500ms, 2s, 15m, 1h30m or 30d');
    }
  });

  it('format back to the shortest form, and round-trip', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(1_500)).toBe('1s500ms');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(2_592_000_000)).toBe('30d');
    for (const ms of [1, 999, 1_000, 61_001, 86_400_000, 90_061_001]) expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(1.5)).toThrow(RangeError);
  });
});

describe('malformed inventories are refused with every issue located', () => {
  it('grace shorter than consumerCacheTtl', () => {
    const f = fixture('grace-shorter-than-ttl.yaml');
    expect(errorLines('grace-shorter-than-ttl.yaml')).toEqual([
      `${f}:16:12: secrets[0].grace: grace 1s is shorter than consumerCacheTtl 5s: a consumer would still hold the old credential when it dies`,
    ]);
  });

  it('duplicate secret ids', () => {
    const f = fixture('duplicate-ids.yaml');
    expect(errorLines('duplicate-ids.yaml')).toEqual([`${f}:21:9: secrets[1].id: duplicate secret id "payments-db": secrets[0] already uses it`]);
  });

  it('a store reference to an undeclared store (the secret and its admin credential)', () => {
    const f = fixture('unknown-store.yaml');
    expect(errorLines('unknown-store.yaml')).toEqual([
      `${f}:8:12: secrets[0].store: unknown store "vualt"; declared stores: vault, aws`,
      `${f}:14:23: secrets[0].postgres.admin.store: unknown store "admin-vault"; declared stores: vault, aws`,
    ]);
  });

  it('an unknown secret type, with the known ones listed', () => {
    const f = fixture('unknown-type.yaml');
    expect(errorLines('unknown-type.yaml')).toEqual([
      `${f}:6:11: secrets[0].type: unknown secret type; known types: postgres-dual-account, api-key, certificate`,
    ]);
  });

  it('missing required fields, located at the object that lacks them', () => {
    const f = fixture('missing-field.yaml');
    expect(errorLines('missing-field.yaml')).toEqual([
      `${f}:5:5: secrets[0].path: required field is missing`,
      `${f}:9:7: secrets[0].postgres.database: required field is missing`,
    ]);
  });

  it('a value of the wrong type (port as a list)', () => {
    const f = fixture('port-as-list.yaml');
    expect(errorLines('port-as-list.yaml')).toEqual([`${f}:11:13: secrets[0].postgres.port: expected a port number (1-65535) or env:NAME, got a list`]);
  });

  it("a duration it cannot read ('2 weeks')", () => {
    const f = fixture('bad-duration.yaml');
    expect(errorLines('bad-duration.yaml')).toEqual([`${f}:16:12: secrets[0].grace: expected a duration such as 500ms, 2s, 15m, 1h30m or 30d`]);
  });

  it('accounts with one entry', () => {
    const f = fixture('accounts-one.yaml');
    expect(errorLines('accounts-one.yaml')).toEqual([`${f}:14:17: secrets[0].postgres.accounts: expected exactly two role names, got 1`]);
  });

  it('accounts naming the same role twice', () => {
    const f = fixture('accounts-duplicate.yaml');
    expect(errorLines('accounts-duplicate.yaml')).toEqual([`${f}:16:11: secrets[0].postgres.accounts[1]: the two accounts must be different roles`]);
  });

  it("an unknown key (the typo 'gracePeriod'), with a suggestion, and the grace it left missing", () => {
    const f = fixture('unknown-key.yaml');
    expect(errorLines('unknown-key.yaml')).toEqual([
      `${f}:5:5: secrets[0].grace: required field is missing (give it here or under defaults)`,
      `${f}:16:5: secrets[0].gracePeriod: unknown key "gracePeriod" (did you mean "grace"?); allowed here: ` +
        'id, type, store, path, schedule, grace, consumerCacheTtl, owners, channel, approval, approvalTimeout, chat, postgres',
    ]);
  });

  it('a YAML syntax error, by its code, never by the parser message that quotes the line', () => {
    const f = fixture('yaml-syntax.yaml');
    const error = refusal(() => loadInventory(f, ENV));
    expect(error.message.split('\n')).toEqual([`${f}:7:5: YAML syntax error: BAD_INDENT`]);
    expect(error.message).not.toContain('hunter2-in-yaml');
  });

  it('env:NAME not set: the message names the variable, and no value from the environment appears', () => {
    const f = fixture('env-not-set.yaml');
    const sentinel = 'sentinel-7f3c9a-must-not-appear';
    const error = refusal(() => loadInventory(f, { VAULT_ADDR: 'http://127.0.0.1:8200', PGHOST: sentinel, UNRELATED_SECRET: sentinel }));
    expect(error.message.split('\n')).toEqual([
      `${f}:6:12: stores.vault.token: environment variable VAULT_TOKEN is not set`,
      `${f}:14:13: secrets[0].postgres.port: environment variable PGPORT is not set`,
    ]);
    expect(error.message).not.toContain(sentinel);
  });

  it('env:NAME holding a malformed value: named, not quoted', () => {
    const f = fixture('env-not-set.yaml');
    const sentinel = '5432-sentinel-b81e';
    const error = refusal(() => loadInventory(f, { ...ENV, PGHOST: 'db.internal', PGPORT: sentinel }));
    expect(error.message.split('\n')).toEqual([`${f}:14:13: secrets[0].postgres.port: environment variable PGPORT does not hold a port number (1-65535)`]);
    expect(error.message).not.toContain(sentinel);
  });

  it('a literal credential where an env:NAME or a { store, path } reference is required, without quoting it', () => {
    const f = fixture('literal-secret.yaml');
    const error = refusal(() => loadInventory(f, ENV));
    expect(error.message.split('\n')).toEqual([
      `${f}:6:12: stores.vault.token: a credential is never written in the inventory: give env:NAME and set NAME in the environment`,
      `${f}:16:14: secrets[0].postgres.admin: expected a reference { store, path } to where the credential is kept: a credential is never written in the inventory`,
    ]);
    expect(error.message).not.toContain('LITERAL-TOKEN-IN-FILE');
    expect(error.message).not.toContain('LITERAL-PASSWORD-IN-FILE');
  });

  it('reports all issues at once: three problems, three issues', () => {
    const f = fixture('three-problems.yaml');
    const error = refusal(() => loadInventory(f, ENV));
    expect(error.type).toBe('InvalidInventory');
    expect(error.issues).toEqual([
      {
        file: f,
        line: 16,
        column: 16,
        path: 'secrets[0].postgres.sslmode',
        message: 'expected one of: disable, allow, prefer, require, verify-ca, verify-full',
      },
      { file: f, line: 20, column: 13, path: 'secrets[0].owners', message: 'must name at least one owner' },
      { file: f, line: 23, column: 12, path: 'secrets[1].store', message: 'unknown store "aws"; declared stores: vault' },
    ]);
    expect(error.message.split('\n')).toEqual([
      `${f}:16:16: secrets[0].postgres.sslmode: expected one of: disable, allow, prefer, require, verify-ca, verify-full`,
      `${f}:20:13: secrets[0].owners: must name at least one owner`,
      `${f}:23:12: secrets[1].store: unknown store "aws"; declared stores: vault`,
    ]);
  });

  it('a missing file, named', () => {
    const f = fixture('no-such-file.yaml');
    expect(refusal(() => loadInventory(f, ENV)).message).toBe(`${f}: inventory file not found`);
  });
});

describe('defaults', () => {
  const text = (secretLines: string) => `
stores:
  vault: { type: vault, address: env:VAULT_ADDR, token: env:VAULT_TOKEN }
defaults:
  grace: 10m
  consumerCacheTtl: 5m
  schedule: { cron: '0 3 * * 1' }
  channel: '#platform-oncall'
secrets:
  - id: web-cert
    type: certificate
    store: vault
    path: certs/web
    certificate:
      issuer: { type: vault-pki, mount: pki, role: web }
      commonName: web.example.test
      files: { cert: /etc/web/cert.pem, key: /etc/web/key.pem }
${secretLines}`;

  it('fill in what a secret does not set', () => {
    const inventory = parseInventory(text('    owners: [web-team]\n    grace: 1h\n'), 'inline.yaml', ENV);
    expect(inventory.secrets[0]).toMatchObject({
      grace: 3_600_000,
      consumerCacheTtl: 300_000,
      schedule: { cron: '0 3 * * 1' },
      owners: ['web-team'],
      channel: '#platform-oncall',
    });
  });

  it('a field neither the secret nor defaults gives is missing; a grace from defaults still covers the TTL', () => {
    const error = refusal(() => parseInventory(text('    consumerCacheTtl: 1h\n'), 'inline.yaml', ENV));
    expect(error.message.split('\n')).toEqual([
      'inline.yaml:10:5: secrets[0].owners: required field is missing (give it here or under defaults)',
      'inline.yaml:18:23: secrets[0].consumerCacheTtl: grace 10m (from defaults) is shorter than consumerCacheTtl 1h: ' +
        'a consumer would still hold the old credential when it dies',
    ]);
  });
});
