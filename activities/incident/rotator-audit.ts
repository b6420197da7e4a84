/** Reads of a secret in rotator's own audit log (JSON lines written by activities/audit.ts). */
import { z } from 'zod';
import type { SecretRef, Sighting } from '../../workflows/types';
import { eachLine, within } from './lines';

const AuditLine = z.object({ time: z.string(), store: z.string(), ref: z.string(), operation: z.string(), outcome: z.string(), workflowId: z.string().optional(), detail: z.record(z.string(), z.unknown()).optional() });

/** Every successful getVersion of `ref` in the window, one sighting per read. */
export async function rotatorReads(logFile: string, ref: SecretRef, window: { from: string; to: string }): Promise<Sighting[]> {
  const needle = `"ref":${JSON.stringify(ref.path)}`;
  const seen: Sighting[] = [];
  await eachLine(logFile, "rotator's audit log", (line) => {
    if (!line.includes(needle)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    const r = AuditLine.safeParse(parsed);
    if (!r.success) return;
    const { time, store, ref: path, operation, outcome, workflowId, detail } = r.data;
    const at = Date.parse(time);
    if (store !== ref.store || path !== ref.path || operation !== 'getVersion' || outcome !== 'ok' || !within(at, window)) return;
    const selector = typeof detail?.selector === 'string' ? detail.selector : 'a version';
    seen.push({ identity: `rotator${workflowId ? ` (workflow ${workflowId})` : ''}`, source: 'rotator worker', at: new Date(at).toISOString(), evidence: `rotator audit log: read ${selector}` });
  });
  return seen;
}
