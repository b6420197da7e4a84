/** Waiting on a condition, never on a fixed sleep: polls until true or the deadline passes. */
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor(cond: () => Promise<boolean> | boolean, o: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
    } catch (err) {
      lastErr = err;
    }
    await sleep(o.intervalMs ?? 100);
  }
  throw new Error(`timed out waiting for ${o.what ?? 'a condition'}${lastErr ? ` (last error: ${String(lastErr)})` : ''}`);
}
