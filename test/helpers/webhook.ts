/**
 * A local webhook receiver for the notification tests: a node:http server that records every
 * request (method, headers, parsed JSON body) and tells listeners as each arrives.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Notification } from '../../activities/notify/types';

/** One request the receiver got. */
export interface ReceivedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  body: Notification;
}

/** A running receiver: its URL, what it got, and a way to be told. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  onNotification(fn: (n: Notification) => void): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const listeners: Array<(n: Notification) => void> = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      const body = JSON.parse(raw) as Notification;
      received.push({ method: req.method ?? '', headers: req.headers, raw, body });
      res.writeHead(204).end();
      for (const fn of listeners) fn(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/rotator`,
    received,
    onNotification: (fn) => listeners.push(fn),
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
