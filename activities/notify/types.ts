/**
 * Notifications about an incident: who must know, what happened, and references only. A sink
 * delivers them (a webhook, the log; chat arrives in a later issue as one more sink).
 */
import { RotatorError } from '../boundary';

/** The incident events people are told about. */
export type NotificationEvent = 'leak.opened' | 'leak.contained' | 'leak.escalated' | 'leak.summary' | 'leak.postmortem';

/** One message to the secret's owners and channel; never a secret value. */
export interface Notification {
  /** Stable per incident and event: a receiver drops a retried delivery by it. */
  id: string;
  event: NotificationEvent;
  /** `critical` is the louder one: the escalation when the containment target passes. */
  severity: 'info' | 'warning' | 'critical';
  incidentId: string;
  secretId: string;
  title: string;
  text: string;
  owners: string[];
  channel?: string;
  /** ISO time the workflow sent it. */
  at: string;
  /** Short facts for the receiver to show (containment time, counts). */
  facts?: Record<string, string | number | boolean>;
}

/** Where notifications go. */
export interface NotificationSink {
  /** The sink's name, as the notify step reports deliveries. */
  readonly name: string;
  send(n: Notification): Promise<void>;
}

/** A sink could not deliver; the notify activity retries. */
export class NotifyFailedError extends RotatorError {
  readonly type = 'NotifyFailed';
  readonly retryable = true;
}
