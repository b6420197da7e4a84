/** Reading a log file line by line: logs grow large, and an incident reads them whole. */
import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { EvidenceUnavailableError } from './errors';

/** Calls `each` for every line of `path`; EvidenceUnavailable when it cannot be read (the message names the file only). */
export async function eachLine(path: string, what: string, each: (line: string) => void): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new EvidenceUnavailableError(`${what} ${path} cannot be read by the worker`);
  }
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) each(line);
}

/** Whether ISO time `at` lies in [from, to]. */
export const within = (at: number, w: { from: string; to: string }) => at >= Date.parse(w.from) && at <= Date.parse(w.to);
