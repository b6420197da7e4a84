/**
 * The chat endpoint: a Bolt app in HTTP mode at /slack/events, for the `/rotator` slash
 * command and the grace-period buttons.
 *
 * Every request is verified before anything reads it: Bolt's HTTPReceiver checks the v0
 * signature (HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret) and refuses
 * timestamps older than 5 minutes, answering 401 with nothing parsed or started.
 *
 * Each command is acknowledged at once (Slack waits 3 s) and acted on after the ack.
 * A re-delivered request (same trigger id, e.g. with X-Slack-Retry-Num) never starts a second
 * workflow, for three reasons together:
 * 1. the signature check bounds every delivery of a request to a 5-minute window;
 * 2. this process remembers trigger ids for 10 minutes (RecentIds), so a re-delivery to it is
 *    answered and dropped;
 * 3. a re-delivery to another replica, or after a restart, meets the workflow ids: a
 *    rotation is `rotation/<secretId>` started with the FAIL conflict policy, so the server
 *    refuses a second while the first runs; a leak response is `incident/<secretId>/<detectedAt>`
 *    with detectedAt taken from the signed request timestamp, so an exact re-delivery names
 *    the same incident.
 */
import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';
import { SLACK_EVENTS_PATH } from './config';
import { type ChatDeps, ChatEndpoint } from './endpoint';
import { SlackThreads, slackErrorCode } from './slack-threads';

export type { ChatDeps } from './endpoint';

/** A running endpoint. */
export interface ChatServer {
  port: number;
  /** Stops following rotations, then stops listening. */
  stop(): Promise<void>;
}

/** Bolt could not start: the bot token was refused, or the port is taken. The message is ours. */
export class ChatStartError extends Error {
  readonly type = 'ChatStartFailed';
}

/** Bolt's logger interface over pino: receiver warnings (refused signatures) become structured lines. */
function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.WARN;
  return {
    debug: (...m: unknown[]) => log.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => log.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => log.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => log.error(m.map(String).join(' ')),
    setLevel: (l: LogLevel) => (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** Builds the Bolt app, verifies the bot token (auth.test) and listens on `config.port` (0: any free port). */
export async function startChatServer(d: ChatDeps): Promise<ChatServer> {
  const receiver = new HTTPReceiver({
    signingSecret: d.config.signingSecret,
    endpoints: SLACK_EVENTS_PATH,
    port: d.config.port,
    logger: boltLogger(d.log),
    // the signed timestamp (the signature covers it) is "when the leak was reported"
    customPropertiesExtractor: (req) => ({ requestTimestamp: Number(req.headers['x-slack-request-timestamp']) }),
  });
  const app = new App({
    receiver,
    token: d.config.botToken,
    deferInitialization: true,
    logger: boltLogger(d.log),
    clientOptions: { ...(d.config.slackApiUrl ? { slackApiUrl: d.config.slackApiUrl } : {}), retryConfig: { retries: 3, factor: 2 } },
  });
  try {
    await app.init(); // auth.test: a wrong or revoked token fails here, at start, not at the first incident
  } catch (err) {
    throw new ChatStartError(`Slack refused SLACK_BOT_TOKEN (auth.test: ${slackErrorCode(err)})`);
  }
  const endpoint = new ChatEndpoint(d, new SlackThreads(app.client));
  endpoint.register(app);
  let server: Awaited<ReturnType<App['start']>>;
  try {
    server = await app.start(d.config.port);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ChatStartError(`cannot listen on port ${d.config.port}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : d.config.port,
    async stop() {
      await endpoint.stopFollowing();
      await app.stop();
    },
  };
}
