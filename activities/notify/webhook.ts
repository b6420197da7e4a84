/**
 * A webhook sink: POSTs each notification as JSON to a configured URL, with the notification
 * id as `Idempotency-Key` so a receiver can drop a retried delivery.
 */
import { NotifyFailedError, type Notification, type NotificationSink } from './types';

/** Options of {@link WebhookSink}. */
export interface WebhookSinkOptions {
  url: string;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** Injected for tests of the sink alone; the global fetch otherwise. */
  fetch?: typeof fetch;
}

export class WebhookSink implements NotificationSink {
  readonly name = 'webhook';
  private readonly url: URL;

  constructor(private readonly o: WebhookSinkOptions) {
    this.url = new URL(o.url);
  }

  async send(n: Notification): Promise<void> {
    const send = this.o.fetch ?? fetch;
    let status: number;
    try {
      const res = await send(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': n.id },
        body: JSON.stringify(n),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
      status = res.status;
      await res.arrayBuffer(); // drain, so the connection is reused; the body is not ours to echo
    } catch (err) {
      const code = (err as { cause?: { code?: unknown } }).cause?.code;
      // the URL's host only: a webhook URL can carry a token in its path or query
      throw new NotifyFailedError(`webhook ${this.url.host}: no response (${typeof code === 'string' ? code : (err as Error).name})`);
    }
    if (status < 200 || status >= 300) throw new NotifyFailedError(`webhook ${this.url.host}: HTTP ${status}`);
  }
}
