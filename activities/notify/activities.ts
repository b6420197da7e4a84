/** The notify activity: one notification to every configured sink. */
import { bounded } from '../boundary';
import { NotifyFailedError, type Notification, type NotificationSink } from './types';

/** What the notify activity needs. */
export interface NotifyDeps {
  sinks: NotificationSink[];
}

export const createNotifyActivities = (d: NotifyDeps) =>
  bounded({
    /**
     * Sends to every sink, even when one fails; fails (and is retried) if any did. A retry
     * delivers again to all: receivers drop repeats by the notification id.
     */
    async notify(n: Notification): Promise<string[]> {
      const results = await Promise.allSettled(d.sinks.map((s) => s.send(n)));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${d.sinks[i].name}: ${r.reason instanceof NotifyFailedError ? r.reason.message : 'failed'}`] : []));
      if (failed.length > 0) throw new NotifyFailedError(`notification ${n.event} not delivered (${failed.join('; ')})`);
      return d.sinks.map((s) => s.name);
    },
  });

/** The activity interface workflows proxy. */
export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
