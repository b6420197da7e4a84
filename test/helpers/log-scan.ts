/**
 * Scanning every log a test run produces for secret values: the local services' logs
 * (Temporal, OpenBao and its audit device, moto, PostgreSQL), and this test process's own
 * stdout and stderr (captured by test/setup-env.ts, which still lets them through).
 */
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
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

/** The log files scanned: the services' logs and audit devices (they can grow past what one string holds). */
function logFiles(): string[] {
  const files: string[] = [];
  const state = process.env.ROTATOR_SERVICES_STATE;
  const dir = state ? join(state, 'logs') : undefined;
  if (dir && existsSync(dir)) for (const f of readdirSync(dir)) files.push(join(dir, f));
  for (const f of [process.env.PG_LOG_FILE, process.env.VAULT_AUDIT_LOG]) if (f && existsSync(f)) files.push(f);
  return files;
}

/** Whether `file` contains `needle`, read in chunks that overlap by the needle's length. */
function fileContains(file: string, needles: string[]): boolean[] {
  const found = needles.map(() => false);
  const overlap = Math.max(0, ...needles.map((n) => Buffer.byteLength(n))) - 1;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16 * 1024 * 1024);
    let carry = '';
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
      const text = carry + buf.subarray(0, n).toString('latin1');
      needles.forEach((v, i) => (found[i] ||= text.includes(Buffer.from(v).toString('latin1'))));
      carry = overlap > 0 ? text.slice(-overlap) : '';
    }
  } finally {
    closeSync(fd);
  }
  return found;
}

/** Where any of `values` appears: `log name: value #i`, never the value itself. */
export function secretsInLogs(values: string[]): string[] {
  const hits: string[] = [];
  const output = captured.join('');
  values.forEach((v, i) => output.includes(v) && hits.push(`test process output: value #${i}`));
  for (const f of logFiles()) fileContains(f, values).forEach((hit, i) => hit && hits.push(`${f}: value #${i}`));
  return hits;
}
