/** `rotator status [<secretId>] [--json]`: where each secret of the inventory stands. */
import { findSecret, PlanError } from '../../client/plans';
import { inventoryStatus, roughDuration, type SecretStatus } from '../../client/status';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';

export async function status(ctx: CliContext, secretId: string | undefined, o: { json?: boolean }): Promise<void> {
  const inventory = ctx.inventory();
  if (secretId !== undefined) {
    try {
      findSecret(inventory, secretId);
    } catch (err) {
      if (err instanceof PlanError) throw new CliError(err.message, EXIT.refused);
      throw err;
    }
  }
  const now = new Date();
  const statuses = (await inventoryStatus(await ctx.client(), inventory, { ids: secretId === undefined ? undefined : [secretId], now })).map((s) => s.status);
  if (o.json) {
    // one secret asked for: its object; otherwise the list
    process.stdout.write(`${JSON.stringify(secretId === undefined ? statuses : statuses[0], null, 2)}\n`);
    return;
  }
  process.stdout.write(statusTable(statuses, now));
}

/** The table people read. */
export function statusTable(statuses: SecretStatus[], now: Date): string {
  if (statuses.length === 0) return 'no secrets in the inventory\n';
  const rows = statuses.map((s) => [
    s.id,
    s.type,
    s.store,
    s.schedule,
    lastRotated(s, now),
    s.scheduleState === 'active' ? (s.nextRun ? `${when(s.nextRun)} (in ${roughDuration(Date.parse(s.nextRun) - now.getTime())})` : '-') : s.scheduleState,
    running(s),
    s.overdue === null ? 'unknown' : s.overdue ? 'OVERDUE' : 'no',
  ]);
  return table(['SECRET', 'TYPE', 'STORE', 'SCHEDULE', 'LAST ROTATED', 'NEXT RUN', 'RUNNING', 'OVERDUE'], rows);
}

function lastRotated(s: SecretStatus, now: Date): string {
  const at = s.lastRotation ? `${when(s.lastRotation.at)} (${roughDuration(now.getTime() - Date.parse(s.lastRotation.at))} ago)` : 'never';
  const lastRunFailed = s.lastRun && s.lastRun.outcome !== 'rotated';
  return lastRunFailed ? `${at}; last run ${s.lastRun!.outcome}` : at;
}

function running(s: SecretStatus): string {
  const r = s.running;
  if (!r) return '-';
  if (r.phase === 'grace' && r.graceRemainingMs !== undefined) return `grace period (${roughDuration(r.graceRemainingMs)} left)`;
  if (r.phase === 'awaiting-approval') return 'awaiting approval';
  return r.step ?? 'running (no worker answered)';
}

/** An instant to the minute, in UTC. */
export const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')}Z`;

/** Left-aligned columns separated by two spaces. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}\n`;
  return line(head) + rows.map(line).join('');
}
