/**
 * Durations as the inventory writes them: integer amounts with units from largest to
 * smallest, each at most once ('500ms', '2s', '15m', '1h30m', '30d'). No fractions and no
 * spaces, so a value means one thing and round-trips through `formatDuration`.
 */

/** Why a duration string was refused; the message is ours and quotes nothing. */
export class DurationError extends Error {
  readonly type = 'InvalidDuration';
}

/** What a well-formed duration looks like, for error messages. */
export const DURATION_EXAMPLES = '500ms, 2s, 15m, 1h30m or 30d';

const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
] as const;

// `m(?!s)` keeps '500ms' from being read as 500 minutes followed by a stray 's'.
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Parses a duration such as '1h30m' into milliseconds; throws DurationError otherwise. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text);
  if (text === '' || !match) throw new DurationError(`expected a duration such as ${DURATION_EXAMPLES}`);
  let ms = 0;
  UNITS.forEach(([, size], i) => {
    const amount = match[i + 1];
    if (amount !== undefined) ms += Number(amount) * size;
  });
  if (!Number.isSafeInteger(ms)) throw new DurationError('duration is too long');
  return ms;
}

/** Formats milliseconds the way the inventory writes them: 5400000 -> '1h30m', 0 -> '0s'. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError('formatDuration needs a non-negative whole number of milliseconds');
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const [unit, size] of UNITS) {
    const amount = Math.floor(rest / size);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * size;
  }
  return text;
}
