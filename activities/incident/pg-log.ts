/**
 * Connections in the PostgreSQL server log, when `log_connections` is on: "connection received:
 * host=… port=…" and "connection authorized: user=… database=…" lines, paired by the backend
 * pid that `log_line_prefix` carries ("%m [%p] " by default), and refused password logins.
 * Only names, addresses and times are read; a password never reaches this log (rotator sets
 * SCRAM verifiers).
 */
import type { Sighting } from '../../workflows/types';
import { eachLine } from './lines';

/** A role and the time its leaked password stopped working. */
export interface RoleWindow {
  identity: string;
  until: string;
}

const TIME = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ?(UTC|GMT|[+-]\d\d(?::?\d\d)?)?\b/;
const PID = /\[(\d+)\]/;
const RECEIVED = /connection received: host=(\S+)/;
const AUTHORIZED = /connection authorized: user=(\S+) database=(\S+)(?: application_name=(.{1,64}))?/;
const REFUSED = /password authentication failed for user "([^"]+)"/;

/** The time at the start of a log line (`%m`), as epoch ms; NaN when the zone is not UTC or an offset. */
export function logLineTime(line: string): number {
  const m = TIME.exec(line);
  if (!m) return NaN;
  const zone = !m[3] || m[3] === 'UTC' || m[3] === 'GMT' ? 'Z' : m[3].length === 3 ? `${m[3]}:00` : m[3].replace(/^([+-]\d\d)(\d\d)$/, '$1:$2');
  return Date.parse(`${m[1]}T${m[2]}${zone}`);
}

/**
 * Logins of `roles` from `from` until each role's password died, and refused password logins
 * of those roles from `from` until `now` (someone still trying the leaked value).
 */
export async function connectionsInLog(logFile: string, roles: RoleWindow[], from: string, now: string): Promise<Sighting[]> {
  const until = new Map(roles.map((r) => [r.identity, Date.parse(r.until)]));
  const start = Date.parse(from);
  const end = Date.parse(now);
  const hostOf = new Map<string, string>();
  const seen: Sighting[] = [];
  await eachLine(logFile, 'the PostgreSQL log', (line) => {
    const pid = PID.exec(line)?.[1];
    const received = RECEIVED.exec(line);
    if (received && pid) {
      hostOf.set(pid, received[1]);
      return;
    }
    const authorized = AUTHORIZED.exec(line);
    const refused = authorized ? null : REFUSED.exec(line);
    const role = authorized?.[1] ?? refused?.[1];
    if (role === undefined || !until.has(role)) return;
    const at = logLineTime(line);
    if (!(at >= start) || at > (authorized ? until.get(role)! : end)) return;
    const source = (pid && hostOf.get(pid)) ?? 'unknown';
    const evidence = authorized
      ? `PostgreSQL log: login to ${authorized[2]}${authorized[3] ? ` (application_name ${authorized[3].trim()})` : ''}`
      : 'PostgreSQL log: refused login (password authentication failed)';
    seen.push({ identity: role, source, at: new Date(at).toISOString(), evidence });
  });
  return seen;
}
