/** A log sink: each notification as one structured pino line, at a level matching its severity. */
import type { Logger } from 'pino';
import type { Notification, NotificationSink } from './types';

export class LogSink implements NotificationSink {
  readonly name = 'log';

  constructor(private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>) {}

  async send(n: Notification): Promise<void> {
    const level = n.severity === 'critical' ? 'error' : n.severity === 'warning' ? 'warn' : 'info';
    const { text, ...fields } = n;
    this.log[level]({ notification: fields }, text);
  }
}
