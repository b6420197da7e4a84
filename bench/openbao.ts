/**
 * Benchmark 2: OpenBao's own database secrets engine on the same PostgreSQL, side by side with
 * rotator. OpenBao's postgresql plugin is configured on this run's database with the local
 * superuser (verify_connection, password_authentication = scram-sha-256 so, like rotator, it
 * sends a verifier and no plaintext reaches the server log), one static role per pre-created
 * login role, and each rotation is `POST database/rotate-role/<name>`, at the same
 * concurrencies as the engine runs of benchmark 1 (lane k always rotates static role k).
 */
import type { BenchContext } from './lib/context';
import { table } from './lib/context';
import type { BenchDatabase } from './lib/fixtures';
import { generatePassword } from '../activities/passwords';
import { scramSha256Verifier } from '../activities/postgres/scram';
import { type Summary, rounded, since, summarize } from './lib/stats';
import type { Baseline, RunFigures } from './overhead';

/** OpenBao's figures at one concurrency. */
export interface OpenBaoFigures {
  concurrency: number;
  rotations: number;
  failures: number;
  wallS: number;
  rotationsPerS: number;
  latencyMs: Summary;
}

/** Benchmark 2's result: both sides, and what OpenBao was configured with. */
export interface OpenBaoResult {
  openbao: OpenBaoFigures[];
  rotator: RunFigures[];
  config: Record<string, string | boolean>;
  /** A static role's password really changed on each rotate-role (checked on one role: before and after its lane). */
  checked: boolean;
}

async function api(ctx: BenchContext, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${ctx.env.VAULT_ADDR}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': ctx.env.VAULT_TOKEN, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function must(ctx: BenchContext, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await api(ctx, method, path, body);
  // OpenBao's error text can echo a connection URL: report the status only
  if (r.status >= 300) throw new Error(`OpenBao ${method} ${path}: HTTP ${r.status}`);
  return r.json;
}

export async function runOpenBao(ctx: BenchContext, db: BenchDatabase, o: { plan: Array<{ concurrency: number; n: number }>; warmup: number; rotator: RunFigures[]; say: (line: string) => void }): Promise<OpenBaoResult> {
  const lanesNeeded = Math.max(...o.plan.map((p) => p.concurrency));
  const conn = `bench-${ctx.tag}`;
  const roles = Array.from({ length: lanesNeeded }, (_, i) => ({ name: `${conn}-${i}`, username: `rb_${ctx.tag}_bao${i}` }));
  const su = await ctx.superuser(db.name);
  try {
    await su.query(roles.map((r) => `CREATE ROLE ${r.username} LOGIN PASSWORD '${scramSha256Verifier(generatePassword())}'`).join(';\n'));
  } finally {
    await su.end();
  }
  const config = {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}?sslmode=disable`,
    allowed_roles: `${conn}-*`,
    verify_connection: true,
    password_authentication: 'scram-sha-256',
  };
  await must(ctx, 'POST', `database/config/${conn}`, { ...config, username: ctx.env.PGUSER, password: ctx.env.PGPASSWORD });
  try {
    // creating a static role rotates its password once (OpenBao takes the role over)
    for (const r of roles) await must(ctx, 'POST', `database/static-roles/${r.name}`, { db_name: conn, username: r.username, rotation_period: '24h' });
    const rotate = async (role: string): Promise<number> => {
      const t0 = performance.now();
      await must(ctx, 'POST', `database/rotate-role/${role}`);
      return since(t0);
    };
    for (let i = 0; i < o.warmup; i++) await rotate(roles[0].name);
    const password = async (role: string) => String(((await must(ctx, 'GET', `database/static-creds/${role}`)).data as { password?: string }).password);
    const before = await password(roles[0].name);
    const figures: OpenBaoFigures[] = [];
    for (const { concurrency, n } of o.plan) {
      const samples: number[] = [];
      let failures = 0;
      let issued = 0;
      const t0 = performance.now();
      await Promise.all(
        roles.slice(0, concurrency).map(async (r) => {
          while (issued < n) {
            issued++;
            try {
              samples.push(await rotate(r.name));
            } catch {
              failures++;
            }
          }
        }),
      );
      const wallMs = since(t0);
      figures.push({ concurrency, rotations: n, failures, wallS: wallMs / 1000, rotationsPerS: samples.length / (wallMs / 1000), latencyMs: rounded(summarize(samples)) });
      o.say(`openbao c=${concurrency}: ${n} rotations in ${(wallMs / 1000).toFixed(1)} s`);
    }
    const checked = (await password(roles[0].name)) !== before;
    return { openbao: figures, rotator: o.rotator, config: { ...config, connection_url: config.connection_url.replace(/\/\/.*@/, '//{{username}}:{{password}}@'), max_open_connections: 'default (4)' }, checked };
  } finally {
    for (const r of roles) await api(ctx, 'DELETE', `database/static-roles/${r.name}`);
    await api(ctx, 'DELETE', `database/config/${conn}`);
  }
}

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

/** Whether rotator's throughput is at least OpenBao's static-role rotation, at each concurrency. */
export function openBaoGoal(r: OpenBaoResult): string {
  return r.openbao
    .map((b) => {
      const e = r.rotator.find((x) => x.mode === 'engine' && x.concurrency === b.concurrency);
      return e ? `at concurrency ${b.concurrency}, rotator ${f2(e.rotationsPerS)}/s vs OpenBao ${f2(b.rotationsPerS)}/s (${f2(e.rotationsPerS / b.rotationsPerS)}x): ${e.rotationsPerS >= b.rotationsPerS ? 'met' : 'NOT met'}` : '';
    })
    .filter(Boolean)
    .join('; ');
}

export function openBaoMarkdown(r: OpenBaoResult, base?: Baseline<OpenBaoResult>): string {
  const rows = r.openbao.map((b) => {
    const e = r.rotator.find((x) => x.mode === 'engine' && x.concurrency === b.concurrency);
    const fl = r.rotator.find((x) => x.mode === 'floor' && x.concurrency === b.concurrency);
    return [
      b.concurrency,
      `${f2(b.rotationsPerS)} (p50 ${f1(b.latencyMs.p50)} ms, p95 ${f1(b.latencyMs.p95)} ms; ${b.rotations} rotations, ${b.failures} failed)`,
      e ? `${f2(e.rotationsPerS)} (p50 ${f1(e.latencyMs.p50)} ms, p95 ${f1(e.latencyMs.p95)} ms; ${e.rotations} rotations, ${e.failures} failed)` : '—',
      e ? `${f2(e.rotationsPerS / b.rotationsPerS)}x` : '—',
      fl ? `${f2(fl.rotationsPerS)}` : '—',
    ];
  });
  const before = base
    ? [
        '',
        `Before the changes made for this benchmark (local activities for the database steps, pooled admin sessions), run ${base.date} (load average mean ${base.load.mean}): ${base.result.rotator
          .filter((x) => x.mode === 'engine')
          .map((x) => `rotator ${f2(x.rotationsPerS)}/s at concurrency ${x.concurrency}`)
          .join(', ')}; OpenBao ${base.result.openbao.map((x) => `${f2(x.rotationsPerS)}/s at concurrency ${x.concurrency}`).join(', ')}.`,
      ]
    : [];
  return [
    `**Goal: rotator's throughput at least equal to OpenBao's static-role rotation** — ${openBaoGoal(r)}.`,
    '',
    '## Rotations per second, same PostgreSQL, same concurrency',
    '',
    table(['concurrency', 'OpenBao static role: rotations/s', 'rotator on Temporal: rotations/s', 'rotator / OpenBao', 'rotator floor (no Temporal): rotations/s'], rows),
    '',
    `OpenBao was configured as \`database/config/<name>\`: ${Object.entries(r.config).map(([k, v]) => `${k} = ${String(v)}`).join(', ')}; username/password the local superuser. One static role per pre-created login role (rotation_period 24h, never due during the run). A static role's password was checked to have changed across its lane: ${r.checked ? 'yes' : 'NO'}. The rotator figures are benchmark 1's engine runs in the same \`npm run bench\` (overhead.md).`,
    ...before,
    '',
    '## What each does per rotation',
    '',
    table(
      ['', 'OpenBao static role (`rotate-role`)', 'rotator dual-account rotation'],
      [
        ['credential changed', 'the one login role\'s password', 'the inactive account\'s password (the other account keeps working)'],
        ['database work', 'one `ALTER ROLE … PASSWORD` (SCRAM verifier) in a transaction, over a pooled admin connection; the plugin holds a lock for the statement, so rotations on one connection config run one at a time', 'two admin sessions from the worker\'s pool, each after reading the admin credential from the store: check/create the role, set a SCRAM verifier, GRANT the group, `SET role`; later `ALTER ROLE` on the old account with a password stored nowhere and end its sessions'],
        ['verification', 'none', 'a fresh login (TCP + SCRAM) as the account with the new password, the check query, and a check that it acts as the group (verify before promote)'],
        ['previous credential', 'dies at once', 'keeps working through the grace period (zero in these runs), then is locked; rollback possible until then'],
        ['storage', 'new password in OpenBao\'s storage (in memory: dev mode)', '16 OpenBao KV requests: read current (1), stage a pending version before use (4), read it back twice (4), read the admin credential twice (2), promote with cas and a version-id record and clear the pending slot (5); each store call audited to a local file with fdatasync'],
        ['durability', 'OpenBao\'s WAL for the rotation', 'every step recorded in Temporal history; a crash resumes at the step it stopped at'],
      ],
    ),
  ].join('\n');
}
