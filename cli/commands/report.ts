/**
 * `rotator report [--format md|json]`: the rotation compliance report auditors ask for
 * (SOC 2 and ISO 27001 audits): overdue secrets, the last rotation of
 * each, failed or rolled-back rotations in the last 30 days, secrets not rotated for more
 * than 90 days. It reads Temporal's visibility, so it sees as far back as the namespace's
 * retention, and says so.
 */
import { resolve } from 'node:path';
import { historyRetentionMs, type RotationRun } from '../../client/history';
import { inventoryStatus, roughDuration } from '../../client/status';
import type { CliContext } from '../context';
import { when } from './status';

const DAY = 86_400_000;
const FAILURE_WINDOW_DAYS = 30;
const STALE_DAYS = 90;

/** The report as data (what --format json prints). */
export interface ComplianceReport {
  generatedAt: string;
  inventory: string;
  namespace: string;
  /** How long Temporal keeps closed runs: nothing older is visible to this report. */
  historyRetention: string | null;
  summary: { secrets: number; overdue: number; failedLast30Days: number; notRotatedFor90Days: number };
  overdue: Array<{ id: string; schedule: string; lastRotation: string | null; reason: string }>;
  lastRotations: Array<{ id: string; type: string; store: string; schedule: string; lastRotation: string | null; overdue: boolean | null }>;
  failedLast30Days: Array<{ id: string } & RotationRun>;
  notRotatedFor90Days: Array<{ id: string; lastRotation: string | null }>;
  notes: string[];
}

export async function report(ctx: CliContext, o: { format: 'md' | 'json' }): Promise<void> {
  const data = await complianceReport(ctx);
  process.stdout.write(o.format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : markdown(data));
}

export async function complianceReport(ctx: CliContext): Promise<ComplianceReport> {
  const inventory = ctx.inventory();
  const client = await ctx.client();
  const now = new Date();
  const since = new Date(now.getTime() - FAILURE_WINDOW_DAYS * DAY);
  const [rows, retentionMs] = await Promise.all([inventoryStatus(client, inventory, { now, since }), historyRetentionMs(client)]);
  const statuses = rows.map((r) => r.status);
  const stale = statuses.filter((s) => !s.lastRotation || now.getTime() - Date.parse(s.lastRotation.at) > STALE_DAYS * DAY);
  const failed = rows.flatMap((r) => r.history.recent.filter((run) => run.outcome !== 'rotated').map((run) => ({ id: r.status.id, ...run })));
  const notes: string[] = [];
  if (retentionMs !== undefined && retentionMs < STALE_DAYS * DAY) {
    notes.push(`Temporal keeps closed workflows for ${roughDuration(retentionMs)} in namespace ${ctx.config.namespace}: rotations older than that are not visible here, so "never" may mean "not within retention". Set the namespace retention to at least ${STALE_DAYS}d (or enable archival) for audit evidence.`);
  }
  for (const r of rows) if (r.history.truncated) notes.push(`${r.status.id}: only its most recent runs were read; older failures are not listed.`);
  return {
    generatedAt: now.toISOString(),
    inventory: resolve(ctx.config.inventoryPath),
    namespace: ctx.config.namespace,
    historyRetention: retentionMs === undefined ? null : roughDuration(retentionMs),
    summary: { secrets: statuses.length, overdue: statuses.filter((s) => s.overdue).length, failedLast30Days: failed.length, notRotatedFor90Days: stale.length },
    overdue: statuses.filter((s) => s.overdue).map((s) => ({ id: s.id, schedule: s.schedule, lastRotation: s.lastRotation?.at ?? null, reason: s.overdueReason })),
    lastRotations: statuses.map((s) => ({ id: s.id, type: s.type, store: s.store, schedule: s.schedule, lastRotation: s.lastRotation?.at ?? null, overdue: s.overdue })),
    failedLast30Days: failed,
    notRotatedFor90Days: stale.map((s) => ({ id: s.id, lastRotation: s.lastRotation?.at ?? null })),
    notes,
  };
}

function markdown(r: ComplianceReport): string {
  const md = (head: string[], rows: string[][]) =>
    rows.length === 0 ? 'None.\n' : [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n') + '\n';
  const at = (iso: string | null) => (iso ? when(iso) : 'never');
  const s = r.summary;
  return [
    '# Secret rotation compliance report',
    '',
    `Generated ${when(r.generatedAt)} from \`${r.inventory}\` (Temporal namespace \`${r.namespace}\`${r.historyRetention ? `, history retention ${r.historyRetention}` : ''}).`,
    '',
    `${s.secrets} secret(s): ${s.overdue} overdue, ${s.failedLast30Days} failed or rolled-back rotation(s) in the last ${FAILURE_WINDOW_DAYS} days, ${s.notRotatedFor90Days} not rotated for more than ${STALE_DAYS} days.`,
    '',
    '## Overdue secrets',
    '',
    md(['secret', 'schedule', 'last rotation', 'why'], r.overdue.map((o) => [o.id, o.schedule, at(o.lastRotation), o.reason])),
    '## Last rotation per secret',
    '',
    md(
      ['secret', 'type', 'store', 'schedule', 'last rotation', 'overdue'],
      r.lastRotations.map((l) => [l.id, l.type, l.store, l.schedule, at(l.lastRotation), l.overdue === null ? 'unknown' : l.overdue ? 'yes' : 'no']),
    ),
    `## Failed or rolled-back rotations (last ${FAILURE_WINDOW_DAYS} days)`,
    '',
    md(['secret', 'ended', 'outcome', 'step', 'reason', 'run'], r.failedLast30Days.map((f) => [f.id, when(f.closedAt), f.outcome, f.failedStep ?? '', f.reason ?? '', f.runId])),
    `## Not rotated for more than ${STALE_DAYS} days`,
    '',
    md(['secret', 'last rotation'], r.notRotatedFor90Days.map((n) => [n.id, at(n.lastRotation)])),
    ...(r.notes.length ? ['## Notes', '', ...r.notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}
