/**
 * Posting into Slack threads: the first message about a thing (a rotation run, an incident)
 * goes to the channel with chat.postMessage, every later one replies to it (thread_ts). Used
 * by the chat endpoint (rotation progress) and by the Slack notification sink (the playbook's
 * notifications). Only text we composed is posted; nothing here ever reads a secret.
 */
import type { types, webApi } from '@slack/bolt';

/** The two Web API methods used (chat:write scope): a narrow surface, so tests and callers inject their own. */
export interface SlackChatApi {
  chat: {
    postMessage(args: webApi.ChatPostMessageArguments): Promise<webApi.ChatPostMessageResponse>;
    update(args: webApi.ChatUpdateArguments): Promise<webApi.ChatUpdateResponse>;
  };
}

/** A message we compose: fallback text (notifications, screen readers) and optional blocks. */
export interface SlackMessage {
  text: string;
  blocks?: types.KnownBlock[];
}

/** Where a posted message is: its channel id and timestamp (Slack's message id). */
export interface PostedMessage {
  channel: string;
  ts: string;
}

/** The Web API answered ok:true without saying where the message went. */
export class SlackPostError extends Error {
  readonly type = 'SlackPostFailed';
}

/** Slack's error code of a failed Web API call (channel_not_found, invalid_auth, …), never a response body. */
export function slackErrorCode(err: unknown): string {
  const code = (err as { data?: { error?: unknown } }).data?.error ?? (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : 'unknown error';
}

/** Threads keyed by what they are about; the parent of each is remembered (bounded) in this process. */
export class SlackThreads {
  private readonly parents = new Map<string, Promise<PostedMessage>>();

  constructor(private readonly api: SlackChatApi, private readonly maxThreads = 1000) {}

  /** The thread's parent, if this process opened or adopted it. */
  async parent(key: string): Promise<PostedMessage | undefined> {
    return this.parents.get(key);
  }

  /** Records an existing message as the parent of `key`'s thread. */
  adopt(key: string, parent: PostedMessage): void {
    this.remember(key, Promise.resolve(parent));
  }

  /** Posts to `key`'s thread: the first message opens it in `channel`, later ones reply in it. */
  async post(key: string, channel: string, m: SlackMessage): Promise<PostedMessage> {
    const parent = this.parents.get(key);
    if (parent) {
      const p = await parent.catch(() => undefined);
      if (p) return this.postMessage(p.channel, m, p.ts);
    }
    // concurrent posts for one key share the parent: the promise is stored before it settles
    const opened = this.postMessage(channel, m);
    this.remember(key, opened);
    opened.catch(() => this.parents.delete(key));
    return opened;
  }

  /** Replies in the thread `at` belongs to (`at` being the parent or any reply's thread). */
  async reply(at: PostedMessage, m: SlackMessage): Promise<PostedMessage> {
    return this.postMessage(at.channel, m, at.ts);
  }

  /** Replaces a posted message's text and blocks (e.g. removes buttons that no longer apply). */
  async update(at: PostedMessage, m: SlackMessage): Promise<void> {
    await this.api.chat.update({ channel: at.channel, ts: at.ts, text: m.text, blocks: m.blocks ?? [] });
  }

  private async postMessage(channel: string, m: SlackMessage, threadTs?: string): Promise<PostedMessage> {
    const r = await this.api.chat.postMessage({
      channel,
      text: m.text,
      ...(m.blocks ? { blocks: m.blocks } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
      // links in our messages are references to follow, not previews to render
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!r.ts || !r.channel) throw new SlackPostError('chat.postMessage answered without a channel and ts');
    return { channel: r.channel, ts: r.ts };
  }

  private remember(key: string, parent: Promise<PostedMessage>): void {
    this.parents.delete(key);
    this.parents.set(key, parent);
    for (const oldest of this.parents.keys()) {
      if (this.parents.size <= this.maxThreads) break;
      this.parents.delete(oldest);
    }
  }
}
