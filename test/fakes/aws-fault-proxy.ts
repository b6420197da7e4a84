/**
 * A local stand-in for AWS that answers with an AWS JSON-protocol error, for the two
 * failures moto cannot produce: moto does not enforce IAM policies unless started with
 * auth switched on (ours is not), and it never throttles. Operations listed in `passThrough`
 * are forwarded to a real upstream (moto), so "may read but not write" is a read that
 * really reaches the store and a write that AWS would refuse the way AWS refuses it.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The AWS error codes this fake can answer with. */
export type AwsFaultType = 'ThrottlingException' | 'AccessDeniedException';

/** Options of {@link startAwsFaultProxy}. */
export interface AwsFaultProxyOptions {
  fault: AwsFaultType;
  /** Where pass-through operations go (moto's address). */
  upstream?: string;
  /** Operation names (the `X-Amz-Target` suffix, e.g. `GetSecretValue`) forwarded to `upstream`. */
  passThrough?: string[];
}

/** A running fault server; `faults` counts the requests it refused. */
export interface AwsFaultProxy {
  endpoint: string;
  readonly faults: number;
  close(): Promise<void>;
}

const MESSAGES: Record<AwsFaultType, string> = {
  ThrottlingException: 'Rate exceeded',
  AccessDeniedException: 'User is not authorized to perform this action',
};

/** Starts the fault server on 127.0.0.1 and an ephemeral port. */
export async function startAwsFaultProxy(o: AwsFaultProxyOptions): Promise<AwsFaultProxy> {
  let faults = 0;
  const passThrough = new Set(o.passThrough ?? []);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const op = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      if (o.upstream && passThrough.has(op)) return forward(o.upstream, req, body, res);
      faults++;
      // AWS's JSON protocol: status 400 for both throttling and access denied, the code in __type.
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': o.fault });
      res.end(JSON.stringify({ __type: o.fault, message: MESSAGES[o.fault] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get faults() {
      return faults;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function forward(upstream: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', upstream);
  const headers = { ...req.headers, host: url.host };
  const out = request(url, { method: req.method, headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  out.end(body);
}
