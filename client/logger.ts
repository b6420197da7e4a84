/**
 * Structured logs (pino, JSON lines on stderr). Logs carry references and metadata only;
 * the redaction list is a last guard for a field someone names carelessly.
 */
import pino, { type Logger } from 'pino';

/** Field names whose values are never written, wherever they appear (two levels deep). */
const REDACT = ['password', 'value', 'secret', 'secretValue', 'token', 'privateKey', 'apiKey', 'secretAccessKey'].flatMap((k) => [k, `*.${k}`]);

export function createLogger(name: string): Logger {
  return pino({ name, level: process.env.ROTATOR_LOG_LEVEL ?? 'info', redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination(2));
}
