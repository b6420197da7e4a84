/**
 * The Slack notification sink: the leak playbook's notifications (incident opened, the
 * summary with containment time, blast radius and post-mortem, the escalation) go to the
 * secret's channel, the first one with chat.postMessage and every later one of the same
 * incident as a reply in its thread (thread_ts). Notifications carry references and our own
 * text only (activities/notify/types.ts), so nothing secret can reach Slack through here.
 *
 * It runs in the worker (the notify activity), where a retried activity delivers again:
 * repeats are dropped by the notification id. Thread parents and delivered ids are kept in
 * this process (bounded), so with several workers, or after a restart, a later notification of
 * an incident may open a second thread; it names the incident, so people can tell.
 */
import { webApi } from '@slack/bolt';
import { NotifyFailedError, type Notification, type NotificationSink } from '../activities/notify/types';
import { loadSlackApiConfig } from './config';
import { RecentIds } from './dedupe';
import { esc } from './messages';
import { type SlackChatApi, type SlackMessage, SlackThreads, slackErrorCode } from './slack-threads';

const ICON: Record<Notification['severity'], string> = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' };

/** One notification as a Slack message: title, text, facts; the escalation mentions the channel. */
export function notificationMessage(n: Notification): SlackMessage {
  const loud = n.severity === 'critical' ? '<!channel> ' : '';
  const facts = Object.entries(n.facts ?? {}).map(([k, v]) => `*${esc(k)}:* ${esc(String(v))}`);
  const text = `${loud}${ICON[n.severity]} *${esc(n.title)}*\n${esc(n.text)}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } },
      ...(facts.length > 0 ? [{ type: 'section' as const, fields: facts.slice(0, 10).map((f) => ({ type: 'mrkdwn' as const, text: f.slice(0, 2000) })) }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `incident \`${esc(n.incidentId)}\` · secret \`${esc(n.secretId)}\` · owners ${n.owners.map(esc).join(', ')}` }] },
    ],
  };
}

export class SlackSink implements NotificationSink {
  readonly name = 'slack';
  private readonly delivered = new RecentIds(24 * 3_600_000);

  constructor(private readonly threads: SlackThreads) {}

  /** A sink over a Web API client (the bot token's), with its own thread memory. */
  static over(api: SlackChatApi): SlackSink {
    return new SlackSink(new SlackThreads(api));
  }

  /**
   * The sink a worker adds to its notification sinks when SLACK_BOT_TOKEN is set (and
   * SLACK_API_URL, to call another Web API base URL); undefined when Slack is not configured.
   * Few Web API retries: the notify activity retries, and must not outlast its timeout.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): SlackSink | undefined {
    const cfg = loadSlackApiConfig(env);
    if (!cfg) return undefined;
    return SlackSink.over(new webApi.WebClient(cfg.botToken, { ...(cfg.slackApiUrl ? { slackApiUrl: cfg.slackApiUrl } : {}), retryConfig: { retries: 1 }, timeout: 5_000 }));
  }

  async send(n: Notification): Promise<void> {
    // a secret with no channel in the inventory has nowhere in Slack to be announced
    const channel = n.channel;
    if (channel === undefined) return;
    if (!this.delivered.firstTime(n.id)) return;
    try {
      await this.threads.post(n.incidentId, channel, notificationMessage(n));
    } catch (err) {
      this.delivered.forget(n.id); // not delivered: the activity's retry must try again
      // Slack's error code only (channel_not_found, not_in_channel, …): never a response body
      throw new NotifyFailedError(`slack: chat.postMessage failed (${slackErrorCode(err)})`);
    }
  }
}
