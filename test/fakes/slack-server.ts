/**
 * Slack has no local server, so this one stands in for it in tests. It is NOT Slack: it
 * implements only what rotator's chat endpoint calls, and checks what Slack checks there:
 * - the Web API (`POST /api/<method>`, the base URL given to the bot as SLACK_API_URL): the
 *   bot token as `Authorization: Bearer …` (else `not_authed` / `invalid_auth`), a form-encoded
 *   or JSON body, `auth.test`, `chat.postMessage` (a known channel, by id or #name; text or
 *   blocks; well-formed blocks within Slack's size limits; `thread_ts` naming a message of
 *   that channel) and `chat.update` (an existing message); answers are Slack's shapes
 *   (`{ ok: true, channel, ts }`, `{ ok: false, error }`);
 * - response URLs (`POST /response/<id>`, what slash commands and button clicks carry as
 *   `response_url`): a JSON message body.
 * Every call is recorded with its raw body, so a test can read the thread as people would,
 * and scan every byte rotator sent to Slack.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

/** One request the fake received. */
export interface SlackCall {
  kind: 'api' | 'response';
  /** Web API method (`chat.postMessage`) or the response URL's id. */
  method: string;
  authorization?: string;
  contentType?: string;
  raw: string;
  args: Record<string, unknown>;
  /** What the fake answered. */
  answer: Record<string, unknown>;
}

/** A message as the fake keeps it (the thread view a person sees). */
export interface SlackMessageRecord {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: Array<Record<string, unknown>>;
}

const BLOCK_TYPES = new Set(['section', 'actions', 'context', 'divider', 'header']);

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly messages: SlackMessageRecord[] = [];
  private server?: Server;
  private seq = 0;
  private readonly channelsByName: Map<string, string>;

  constructor(readonly o: { botToken: string; teamId?: string; botUserId?: string; channels: Record<string, string> }) {
    this.channelsByName = new Map(Object.entries(o.channels));
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** The Web API base URL (SLACK_API_URL). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url for one slash command or click. */
  responseUrl(id: string): string {
    return `${this.url}/response/${id}`;
  }

  /** The thread under a parent message, parent first. */
  thread(parent: SlackMessageRecord): SlackMessageRecord[] {
    return this.messages.filter((m) => m.channel === parent.channel && (m.ts === parent.ts || m.threadTs === parent.ts));
  }

  /** What was sent to a response URL, in order. */
  responses(id: string): string[] {
    return this.calls.filter((c) => c.kind === 'response' && c.method === id).map((c) => String(c.args.text ?? ''));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const contentType = req.headers['content-type'];
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const reply = (status: number, answer: Record<string, unknown>, call?: Omit<SlackCall, 'answer'>) => {
      if (call) this.calls.push({ ...call, answer });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(answer));
    };
    if (req.method !== 'POST') return reply(405, { ok: false, error: 'method_not_allowed' });

    if (path.startsWith('/response/')) {
      const parsed = parseBody(raw, contentType);
      const call = { kind: 'response' as const, method: path.slice('/response/'.length), contentType, raw, args: parsed ?? {} };
      const args = call.args;
      // Slack takes a JSON message at a response URL
      if (!contentType?.startsWith('application/json') || parsed === undefined) return reply(400, { ok: false, error: 'invalid_payload' }, call);
      if (typeof args.text !== 'string' && !Array.isArray(args.blocks)) return reply(400, { ok: false, error: 'no_text' }, call);
      return reply(200, { ok: true }, call);
    }
    if (!path.startsWith('/api/')) return reply(404, { ok: false, error: 'unknown_method' });

    const method = path.slice('/api/'.length);
    const args = parseBody(raw, contentType);
    const call = { kind: 'api' as const, method, authorization: req.headers.authorization, contentType, raw, args: args ?? {} };
    if (args === undefined) return reply(200, { ok: false, error: 'invalid_form_data' }, call);
    if (!req.headers.authorization) return reply(200, { ok: false, error: 'not_authed' }, call);
    if (req.headers.authorization !== `Bearer ${this.o.botToken}`) return reply(200, { ok: false, error: 'invalid_auth' }, call);
    reply(200, this.apiCall(method, args), call);
  }

  private apiCall(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'rotator', team_id: this.o.teamId ?? 'T0FAKE', user_id: this.o.botUserId ?? 'U0ROTATOR', bot_id: 'B0ROTATOR' };
      case 'chat.postMessage': {
        const channel = this.channelId(args.channel);
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const text = typeof args.text === 'string' ? args.text : '';
        const blocks = parseBlocks(args.blocks);
        if (blocks === 'invalid') return { ok: false, error: 'invalid_blocks' };
        if (!text && blocks.length === 0) return { ok: false, error: 'no_text' };
        const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
        if (threadTs && !this.messages.some((m) => m.channel === channel && m.ts === threadTs)) return { ok: false, error: 'thread_not_found' };
        const ts = `1700000000.${String(++this.seq).padStart(6, '0')}`;
        this.messages.push({ channel, ts, threadTs, text, blocks });
        return { ok: true, channel, ts, message: { type: 'message', text, ts, ...(threadTs ? { thread_ts: threadTs } : {}) } };
      }
      case 'chat.update': {
        const channel = this.channelId(args.channel);
        const m = this.messages.find((x) => x.channel === channel && x.ts === args.ts);
        if (!m) return { ok: false, error: 'message_not_found' };
        const blocks = parseBlocks(args.blocks);
        if (blocks === 'invalid') return { ok: false, error: 'invalid_blocks' };
        m.text = typeof args.text === 'string' ? args.text : m.text;
        m.blocks = blocks;
        return { ok: true, channel, ts: m.ts, text: m.text };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private channelId(c: unknown): string | undefined {
    if (typeof c !== 'string') return undefined;
    if (c.startsWith('#')) return this.channelsByName.get(c.slice(1));
    return [...this.channelsByName.values()].includes(c) ? c : undefined;
  }
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> | undefined {
  try {
    if (contentType?.startsWith('application/json')) return JSON.parse(raw) as Record<string, unknown>;
    if (contentType?.startsWith('application/x-www-form-urlencoded')) return { ...parseQuery(raw) };
  } catch {
    return undefined;
  }
  return undefined;
}

/** Blocks arrive as a JSON string in a form body, or as an array in a JSON one; checked against Slack's limits. */
function parseBlocks(v: unknown): Array<Record<string, unknown>> | 'invalid' {
  if (v === undefined) return [];
  let blocks: unknown;
  try {
    blocks = typeof v === 'string' ? JSON.parse(v) : v;
  } catch {
    return 'invalid';
  }
  if (!Array.isArray(blocks) || blocks.length > 50) return 'invalid';
  for (const b of blocks as Array<Record<string, unknown>>) {
    if (!BLOCK_TYPES.has(String(b?.type))) return 'invalid';
    const text = (b.text as { text?: unknown } | undefined)?.text;
    if (typeof text === 'string' && (text.length === 0 || text.length > 3000)) return 'invalid';
    if (b.type === 'actions') {
      const elements = b.elements as Array<Record<string, unknown>> | undefined;
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) return 'invalid';
      for (const e of elements) {
        const label = (e.text as { type?: unknown; text?: unknown } | undefined) ?? {};
        if (e.type !== 'button' || label.type !== 'plain_text' || typeof label.text !== 'string' || label.text.length > 75) return 'invalid';
        if (typeof e.action_id !== 'string' || e.action_id.length > 255) return 'invalid';
        if (typeof e.value === 'string' && e.value.length > 2000) return 'invalid';
      }
    }
  }
  return blocks as Array<Record<string, unknown>>;
}
