/**
 * Reading a workflow's complete history for secret scans: every payload, both as stored
 * (what an attacker with the database would see) and decoded through the codec (what the
 * scan must also not find, since the codec is only the second line of defence).
 */
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** Every event of a workflow's history, as the server stores it (payloads still encoded). */
export async function rawHistory(client: Client, workflowId: string, runId?: string): Promise<unknown[]> {
  const events: unknown[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      nextPageToken,
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

/** The raw history, every byte field rendered both as UTF-8 and as base64, as one string. */
export async function rawHistoryText(client: Client, workflowId: string, runId?: string): Promise<string> {
  return JSON.stringify(renderBytes(await rawHistory(client, workflowId, runId)));
}

// protobuf messages turn bytes into base64 in toJSON, so walk them by hand to see both forms
function renderBytes(v: unknown): unknown {
  if (v instanceof Uint8Array) return `${Buffer.from(v).toString('utf8')} ${Buffer.from(v).toString('base64')}`;
  if (Array.isArray(v)) return v.map(renderBytes);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderBytes(x)]));
  return v;
}

function isPayload(v: unknown): v is Payload {
  return typeof v === 'object' && v !== null && 'metadata' in v && 'data' in v && (v as Payload).data instanceof Uint8Array;
}

async function decodeTree(v: unknown, codec: PayloadCodec): Promise<unknown> {
  if (isPayload(v)) {
    const [decoded] = await codec.decode([v]);
    return { metadata: decoded.metadata, text: Buffer.from(decoded.data ?? []).toString('utf8') };
  }
  if (Array.isArray(v)) return Promise.all(v.map((x) => decodeTree(x, codec)));
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await decodeTree(x, codec);
    return out;
  }
  return v;
}

/** The history with every payload decoded through `codec`, as one string. */
export async function decodedHistoryText(client: Client, workflowId: string, codec: PayloadCodec, runId?: string): Promise<string> {
  const history = await rawHistory(client, workflowId, runId);
  return JSON.stringify(await decodeTree(history, codec));
}
