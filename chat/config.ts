/**
 * The chat endpoint's settings, parsed once from the environment at start and injected.
 * Slack's credentials come from the environment only, never from the inventory file (which
 * is committed and shown); they have no defaults. Messages name variables, never values.
 */
import { z } from 'zod';
import { ConfigError } from '../client/config';

/** Where Bolt listens by default, as in Slack's own examples. */
export const DEFAULT_CHAT_PORT = 3000;
/** The single path Slack posts slash commands and interactivity payloads to. */
export const SLACK_EVENTS_PATH = '/slack/events';

/** What `rotator chat` needs besides the Temporal settings. */
export interface ChatConfig {
  /** Verifies every request's v0 signature. */
  signingSecret: string;
  /** xoxb-… : posts messages (chat:write). */
  botToken: string;
  /** The Web API base URL; Slack's own unless SLACK_API_URL says otherwise. */
  slackApiUrl?: string;
  port: number;
  /** How often a followed rotation's `progress` query is read. */
  pollMs: number;
  /** The audit log that chat decisions (starts, refusals) are appended to. */
  auditLog: string;
}

const port = (what: string) =>
  z
    .string()
    .regex(/^\d{1,5}$/, { error: `${what} must be a port number (0-65535)` })
    .transform(Number)
    .refine((n) => n <= 65535, { error: `${what} must be a port number (0-65535)` });

const SlackApiEnv = z.object({
  SLACK_BOT_TOKEN: z
    .string({ error: 'SLACK_BOT_TOKEN is not set (the bot user OAuth token, xoxb-…, from the app\'s OAuth & Permissions page)' })
    .regex(/^xoxb-/, { error: 'SLACK_BOT_TOKEN is not a bot token (it must start with xoxb-)' }),
  SLACK_API_URL: z
    .url({ protocol: /^https?$/, error: 'SLACK_API_URL must be an http(s) URL such as https://slack.com/api/' })
    .optional(),
});

const ChatEnv = SlackApiEnv.extend({
  SLACK_SIGNING_SECRET: z.string({ error: 'SLACK_SIGNING_SECRET is not set (the app\'s signing secret, from its Basic Information page)' }).min(1, { error: 'SLACK_SIGNING_SECRET is empty' }),
  PORT: port('PORT').optional(),
  ROTATOR_POLL_MS: z.string().regex(/^\d+$/, { error: 'ROTATOR_POLL_MS must be a whole number of milliseconds' }).transform(Number).optional(),
  ROTATOR_AUDIT_LOG: z.string().min(1).default('.rotator/audit.jsonl'),
});

/** How to call Slack's Web API as the bot. */
export interface SlackApiConfig {
  botToken: string;
  /** With a trailing slash, as WebClient joins method names onto it. */
  slackApiUrl?: string;
}

const withSlash = (url: string | undefined) => (url === undefined || url.endsWith('/') ? url : `${url}/`);

/**
 * SLACK_BOT_TOKEN and SLACK_API_URL, for a process that only posts (the worker's Slack
 * notification sink); undefined when SLACK_BOT_TOKEN is not set (Slack is not configured).
 */
export function loadSlackApiConfig(env: NodeJS.ProcessEnv = process.env): SlackApiConfig | undefined {
  if (env.SLACK_BOT_TOKEN === undefined) return undefined;
  const parsed = SlackApiEnv.safeParse(env);
  if (!parsed.success) throw new ConfigError(`environment: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return { botToken: parsed.data.SLACK_BOT_TOKEN, slackApiUrl: withSlash(parsed.data.SLACK_API_URL) };
}

/** Reads SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL, PORT (overridden by `portOverride`, i.e. --port). */
export function loadChatConfig(env: NodeJS.ProcessEnv = process.env, portOverride?: number): ChatConfig {
  const parsed = ChatEnv.safeParse(env);
  if (!parsed.success) throw new ConfigError(`environment: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const e = parsed.data;
  return {
    signingSecret: e.SLACK_SIGNING_SECRET,
    botToken: e.SLACK_BOT_TOKEN,
    slackApiUrl: withSlash(e.SLACK_API_URL),
    port: portOverride ?? e.PORT ?? DEFAULT_CHAT_PORT,
    pollMs: e.ROTATOR_POLL_MS ?? 1000,
    auditLog: e.ROTATOR_AUDIT_LOG,
  };
}
