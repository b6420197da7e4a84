/**
 * Scanning every log a test run produces for secret values: the local services' logs
 * (Temporal, OpenBao and its audit device, moto, PostgreSQL), and this test process's own
 * stdout and stderr (captured by test/setup-env.ts, which still lets them through).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const captured: string[] = [];

/** Called once by the setup file: keep a copy of everything this process writes. */
export function captureOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

/** The logs scanned, by name. */
function logs(): Array<[string, string]> {
  const out: Array<[string, string]> = [['test process output', captured.join('')]];
  const state = process.env.ROTATOR_SERVICES_STATE;
  const dir = state ? join(state, 'logs') : undefined;
  if (dir && existsSync(dir)) for (const f of readdirSync(dir)) out.push([f, readFileSync(join(dir, f), 'utf8')]);
  for (const f of [process.env.PG_LOG_FILE, process.env.VAULT_AUDIT_LOG]) if (f && existsSync(f)) out.push([f, readFileSync(f, 'utf8')]);
  return out;
}

/** Where any of `values` appears: `log name: value #i`, never the value itself. */
export function secretsInLogs(values: string[]): string[] {
  const hits: string[] = [];
  for (const [name, text] of logs()) values.forEach((v, i) => text.includes(v) && hits.push(`${name}: value #${i}`));
  return hits;
}
