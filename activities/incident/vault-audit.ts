/**
 * Reads of a KV v2 secret in an OpenBao/Vault file audit device's log. The device must keep
 * accessors in clear (`hmac_accessor = false`); the token itself is always HMAC'd, and so are
 * response values, so nothing secret is read here. Only successful reads count: a refused
 * one returned nothing.
 */
import { z } from 'zod';
import { eachLine, within } from './lines';

const Entry = z.object({
  time: z.string(),
  type: z.string(),
  error: z.string().optional(),
  auth: z.object({ accessor: z.string().optional(), display_name: z.string().optional(), entity_id: z.string().optional() }).optional(),
  request: z.object({ operation: z.string().optional(), path: z.string().optional(), remote_address: z.string().optional() }),
});

/** One successful read of the secret, by accessor (never by token). */
export interface AuditedRead {
  accessor: string;
  entityId?: string;
  displayName?: string;
  source: string;
  at: number;
}

/** Every successful read of `dataPath` (`<mount>/data/<path>`) in the window, oldest first. */
export async function auditedReads(logFile: string, dataPath: string, window: { from: string; to: string }): Promise<AuditedRead[]> {
  // a cheap substring test first: the log holds every request the server answered
  const needle = `"path":${JSON.stringify(dataPath)}`;
  const reads: AuditedRead[] = [];
  await eachLine(logFile, 'the audit log', (line) => {
    if (!line.includes(needle)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return; // a line cut short by a crash or a rotation of the file
    }
    const e = Entry.safeParse(parsed);
    if (!e.success) return;
    const { time, type, error, auth, request } = e.data;
    const at = Date.parse(time);
    if (type !== 'response' || error || request.operation !== 'read' || request.path !== dataPath || !auth?.accessor || !within(at, window)) return;
    reads.push({ accessor: auth.accessor, entityId: auth.entity_id || undefined, displayName: auth.display_name, source: request.remote_address ?? 'unknown', at });
  });
  return reads.sort((a, b) => a.at - b.at);
}
