/**
 * The chat endpoint end to end: the real Bolt endpoint (`startChatServer`, what `rotator chat`
 * runs) on an ephemeral port, real HTTP requests signed exactly as Slack signs them
 * (x-slack-signature = v0=HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>"),
 * x-slack-request-timestamp, form-encoded bodies; button clicks as `payload=<json>`), a real
 * worker on a task queue of this file's own, the real dev server, OpenBao and PostgreSQL.
 *
 * Slack has no local server: the bot's Web API base URL (SLACK_API_URL) points at
 * test/fakes/slack-server.ts, a local node:http server that records every call and answers
 * as Slack does. It checks what Slack would (the bot token as a Bearer header, payload
 * shapes, channels, threads), and the response URLs in our signed payloads point at it too.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../activities/audit';
import { JsonLinesAuditSink } from '../activities/audit';
import { connectPostgres, createActivities } from '../activities/index';
import { parseDatabaseSecret } from '../activities/postgres/activities';
import { VaultKvStore } from '../activities/stores/vault';
import { vaultAccessFromInventory } from '../activities/incident/vault-tokens';
import type { Notification } from '../activities/notify/types';
import { type ChatDeps, type ChatServer, startChatServer } from '../chat/app';
import { authorise } from '../chat/authorise';
import { parseCommand } from '../chat/commands';
import { RecentIds } from '../chat/dedupe';
import { loadChatConfig } from '../chat/config';
import { ACTION } from '../chat/messages';
import { SlackSink } from '../chat/slack-sink';
import { loadTemporalConfig } from '../client/config';
import { connectTemporal } from '../client/connection';
import { incidentWorkflowId } from '../client/leaks';
import { createLogger } from '../client/logger';
import { rotationWorkflowId } from '../client/rotations';
import { loadInventory } from '../inventory';
import { progressQuery } from '../workflows/messages';
import type { LeakResult, PostgresRotationInput, RotationResult } from '../workflows/types';
import { FakeSlack, type SlackMessageRecord } from './fakes/slack-server';
import { adminConfig, newDualAccountSecret, registry, tryLogin } from './helpers/postgres';
import { startHarness, type TemporalHarness } from './helpers/temporal';
import { inventoryYaml } from './helpers/cli';
import { waitFor } from './helpers/wait';

const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
const BOT_TOKEN = 'xoxb-1111-2222-testbottoken';
const CHANNELS = { 'payments-oncall': 'CPAYMENTS', incident: 'CINCIDENT', random: 'CRANDOM' };
// alice may do everything; bob may steer; anyone in #incident may rotate; mallory nothing
const ALICE = 'UALICE';
const BOB = 'UBOB';
const MALLORY = 'UMALLORY';

const dir = mkdtempSync(join(tmpdir(), 'rotator-chat-'));
const auditPath = join(dir, 'audit.jsonl');
const vault = new VaultKvStore({ name: 'vault', address: process.env.VAULT_ADDR!, auth: { kind: 'token', token: process.env.VAULT_TOKEN! } });
const slack = new FakeSlack({ botToken: BOT_TOKEN, channels: CHANNELS });
let inventoryPath: string;
let h: TemporalHarness;
let chat: ChatServer;
let deps: ChatDeps;
let closeRotationsClient: () => Promise<void>;
let rotated: PostgresRotationInput; // rotated from chat
let untouched: PostgresRotationInput; // never rotated: the refused requests must leave it so
let leaked: PostgresRotationInput; // reported leaked from chat
const passwordsSeen: string[] = []; // every password the store held, for the scan at the end
const ackBodies: string[] = [];

beforeAll(async () => {
  await slack.start();
  rotated = await newDualAccountSecret(vault);
  untouched = await newDualAccountSecret(vault);
  leaked = await newDualAccountSecret(vault, { timings: { graceMs: 0 } });
  inventoryPath = join(dir, 'rotations.yaml');
  const extra = {
    grace: '60s',
    consumerCacheTtl: '1s',
    schedule: '{ every: 30d }',
    channel: "'#payments-oncall'",
    chat: `{ leak: [${ALICE}], rotate: [${ALICE}, ${CHANNELS.incident}], steer: [${ALICE}, ${BOB}] }`,
  };
  writeFileSync(inventoryPath, inventoryYaml([rotated, untouched, leaked].map((input) => ({ id: input.secretId, input, extra }))));
  const inventory = loadInventory(inventoryPath);
  // the worker as `rotator worker` builds it: rotations, the leak response, and the Slack sink for its notifications
  const rotations = await connectTemporal(loadTemporalConfig());
  closeRotationsClient = () => rotations.connection.close();
  const slackSink = SlackSink.fromEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.apiUrl })!;
  const leak = { rotations: rotations.client.workflow, vault: vaultAccessFromInventory(inventory, { auditLog: process.env.VAULT_AUDIT_LOG }), pgLogFile: process.env.PG_LOG_FILE, postMortemDir: join(dir, 'post-mortems'), sinks: [slackSink] };
  h = await startHarness({ prefix: 'chat', activities: createActivities({ stores: registry([vault]), connect: connectPostgres, leak }) });
  const config = loadChatConfig({ SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.apiUrl, ROTATOR_POLL_MS: '100', ROTATOR_AUDIT_LOG: auditPath }, 0);
  deps = { config, inventory, client: h.client, taskQueue: h.taskQueue, audit: new JsonLinesAuditSink(config.auditLog), log: createLogger('chat-test') };
  chat = await startChatServer(deps);
});
afterAll(async () => {
  await chat?.stop();
  await h?.stop();
  await closeRotationsClient?.();
  await slack.stop();
});

// ---------------------------------------------------------------- signed requests, as Slack sends them

const url = () => `http://127.0.0.1:${chat.port}/slack/events`;
const now = () => Math.floor(Date.now() / 1000);
const signature = (body: string, ts: number, secret = SIGNING_SECRET) => `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
let triggers = 0;
const newTrigger = () => `${Date.now()}.${++triggers}.${'f'.repeat(32)}`;

/** A slash command's form body, with the fields Slack sends. */
function commandBody(o: { text: string; user: string; channel: string; trigger?: string }): { body: string; trigger: string } {
  const trigger = o.trigger ?? newTrigger();
  const channelName = Object.entries(CHANNELS).find(([, id]) => id === o.channel)?.[0] ?? 'directmessage';
  const body = new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0FAKE',
    team_domain: 'fake',
    channel_id: o.channel,
    channel_name: channelName,
    user_id: o.user,
    user_name: o.user.toLowerCase(),
    command: '/rotator',
    text: o.text,
    api_app_id: 'A0ROTATOR',
    is_enterprise_install: 'false',
    response_url: slack.responseUrl(trigger),
    trigger_id: trigger,
  }).toString();
  return { body, trigger };
}

/** POSTs `body` signed as Slack signs it; `o` forges, ages or drops parts of the request. */
async function post(body: string, o: { ts?: number; sig?: string; omit?: Array<'signature' | 'timestamp'>; sentBody?: string; retryNum?: number } = {}) {
  const ts = o.ts ?? now();
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (!o.omit?.includes('timestamp')) headers['x-slack-request-timestamp'] = String(ts);
  if (!o.omit?.includes('signature')) headers['x-slack-signature'] = o.sig ?? signature(body, ts);
  if (o.retryNum !== undefined) Object.assign(headers, { 'x-slack-retry-num': String(o.retryNum), 'x-slack-retry-reason': 'http_timeout' });
  const started = Date.now();
  const res = await fetch(url(), { method: 'POST', headers, body: o.sentBody ?? body });
  const text = await res.text();
  ackBodies.push(text);
  return { status: res.status, text, ms: Date.now() - started };
}

async function command(o: Parameters<typeof commandBody>[0], extra: Parameters<typeof post>[1] = {}) {
  const { body, trigger } = commandBody(o);
  return { ...(await post(body, extra)), trigger, body };
}

/** A click on one of a message's buttons, as Slack posts it (`payload=<json>`, form-encoded). */
async function click(message: SlackMessageRecord, actionId: string, user: string, channel: string) {
  const actions = message.blocks.find((b) => b.type === 'actions') as { block_id: string; elements: Array<{ action_id: string; value: string; text: unknown; style?: string }> } | undefined;
  const button = actions?.elements.find((e) => e.action_id === actionId);
  if (!actions || !button) throw new Error(`no ${actionId} button on the message`);
  const trigger = newTrigger();
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0FAKE' },
    api_app_id: 'A0ROTATOR',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false, thread_ts: message.threadTs },
    trigger_id: trigger,
    team: { id: 'T0FAKE', domain: 'fake' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'payments-oncall' },
    message: { type: 'message', user: 'U0ROTATOR', bot_id: 'B0ROTATOR', text: message.text, ts: message.ts, thread_ts: message.threadTs, blocks: message.blocks },
    state: { values: {} },
    response_url: slack.responseUrl(trigger),
    actions: [{ action_id: actionId, block_id: actions.block_id, text: button.text, value: button.value, style: button.style, type: 'button', action_ts: `${now()}.000001` }],
  };
  const res = await post(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  return { ...res, trigger };
}

// ---------------------------------------------------------------- reading what happened

const auditRecords = (): AuditRecord[] => {
  try {
    return readFileSync(auditPath, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);
  } catch {
    return [];
  }
};
const chatAudit = (operation: string, decision: string, user: string) =>
  auditRecords().filter((r) => r.operation === `chat.${operation}` && r.detail?.decision === decision && r.detail?.slackUser === user);

/** The run id of the latest rotation of a secret, or undefined when it was never started. */
async function latestRun(secretId: string): Promise<string | undefined> {
  try {
    return (await h.client.workflow.getHandle(rotationWorkflowId(secretId)).describe()).runId;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The ids of every incident workflow of a secret (visibility: the dev server's is immediate enough to wait on). */
async function incidentsOf(secretId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of h.client.workflow.list({ query: `WorkflowId STARTS_WITH '${incidentWorkflowId(secretId, '')}'` })) ids.push(`${w.workflowId} ${w.runId}`);
  return ids;
}

/** The thread a chat-started rotation opened in the secret's channel (its parent names the run's workflow). */
function rotationThread(secretId: string, nth = 0): SlackMessageRecord[] {
  const parents = slack.messages.filter((m) => !m.threadTs && m.text.includes(`Rotation of \`${secretId}\``));
  return parents[nth] ? slack.thread(parents[nth]) : [];
}

const graceButtons = (m: SlackMessageRecord) => m.blocks.some((b) => b.type === 'actions');

/** Reads the secret's current and previous passwords from the store, for the scan at the end. */
async function rememberPasswords(input: PostgresRotationInput): Promise<void> {
  for (const which of ['current', 'previous'] as const) {
    const v = await vault.getVersion(input.ref, which).catch(() => undefined);
    if (v) passwordsSeen.push(parseDatabaseSecret(v.value, input.ref).password);
  }
}

// ---------------------------------------------------------------- the tests

describe('the parts, alone', () => {
  it('parses the slash command grammar, with messages that quote nothing typed', () => {
    expect(parseCommand('')).toEqual({ kind: 'help' });
    expect(parseCommand('  rotate   payments-db ')).toEqual({ kind: 'rotate', secretId: 'payments-db' });
    expect(parseCommand('leak payments-db pasted in   a public gist')).toEqual({ kind: 'leak', secretId: 'payments-db', where: 'pasted in a public gist' });
    expect(() => parseCommand('leak payments-db')).toThrow('say where it leaked');
    expect(() => parseCommand('rotate')).toThrow('`/rotator rotate` needs a secret id');
    expect(() => parseCommand('rotate Payments.DB')).toThrow('a secret id is 1 to 100 lowercase letters, digits, - or _');
    expect(() => parseCommand('rotate a b')).toThrow('`/rotator rotate` takes one secret id');
    expect(() => parseCommand('drop-table hunter2')).toThrow(/^unknown subcommand; try `\/rotator help`$/);
  });

  it('authorises a listed user anywhere, anyone in a listed channel, nobody without a list', () => {
    const spec = loadInventory(inventoryPath).secrets[0];
    expect(authorise(spec, 'rotate', { userId: ALICE, channelId: CHANNELS.random })).toEqual({ allowed: true, via: 'user' });
    expect(authorise(spec, 'rotate', { userId: MALLORY, channelId: CHANNELS.incident })).toEqual({ allowed: true, via: 'channel' });
    expect(authorise(spec, 'leak', { userId: MALLORY, channelId: CHANNELS.incident })).toMatchObject({ allowed: false });
    expect(authorise(spec, 'steer', { userId: BOB, channelId: CHANNELS.random })).toEqual({ allowed: true, via: 'user' });
    expect(authorise(spec, 'status', { userId: BOB, channelId: CHANNELS.random })).toEqual({ allowed: true, via: 'user' });
    expect(authorise(spec, 'status', { userId: MALLORY, channelId: CHANNELS.random })).toMatchObject({ allowed: false });
    expect(authorise({ ...spec, chat: undefined }, 'rotate', { userId: ALICE, channelId: CHANNELS.random })).toEqual({ allowed: false, reason: `the inventory allows nobody to rotate ${spec.id} from chat` });
  });

  it('remembers trigger ids for its TTL, within its bound', () => {
    let t = 0;
    const ids = new RecentIds(1000, 3, () => t);
    expect([ids.firstTime('a'), ids.firstTime('a'), ids.firstTime('b')]).toEqual([true, false, true]);
    t = 999;
    expect(ids.firstTime('a')).toBe(false);
    t = 1000;
    expect(ids.firstTime('a')).toBe(true); // expired, then seen anew
    ['c', 'd', 'e'].forEach((id) => ids.firstTime(id));
    expect(ids.size).toBe(3);
  });
});

describe('signatures: nothing unsigned, altered or old gets in', () => {
  it('refuses a bad signature, a stale timestamp, missing headers and an altered body with 401, and starts nothing', async () => {
    const callsBefore = slack.calls.length;
    const { body } = commandBody({ text: `rotate ${untouched.secretId}`, user: ALICE, channel: CHANNELS.incident });
    const tampered = body.replace(encodeURIComponent(untouched.secretId), encodeURIComponent(rotated.secretId));
    const sixMinutesAgo = now() - 6 * 60;
    const forgedClick = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: ALICE }, actions: [{ action_id: ACTION.abort, value: JSON.stringify({ secretId: untouched.secretId, workflowId: rotationWorkflowId(untouched.secretId), runId: 'x' }) }] }))}`;
    const attempts = {
      'wrong signing secret': await post(body, { sig: signature(body, now(), 'not-the-signing-secret') }),
      'signature of another body': await post(body, { sig: signature(`${body}&x=1`, now()) }),
      'not a v0 signature': await post(body, { sig: signature(body, now()).replace('v0=', 'v1=') }),
      'replayed 6 minutes later (stale timestamp, correctly signed)': await post(body, { ts: sixMinutesAgo, sig: signature(body, sixMinutesAgo) }),
      'a button click signed with another secret': await post(forgedClick, { sig: signature(forgedClick, now(), 'not-the-signing-secret') }),
      'no signature header': await post(body, { omit: ['signature'] }),
      'no timestamp header': await post(body, { omit: ['timestamp'] }),
      'no headers at all': await post(body, { omit: ['signature', 'timestamp'] }),
      'altered body (signed before the change)': await post(body, { sentBody: tampered }),
    };
    for (const [what, r] of Object.entries(attempts)) expect(r.status, what).toBe(401);
    expect(await latestRun(untouched.secretId)).toBeUndefined();
    expect(await latestRun(rotated.secretId)).toBeUndefined();
    expect(slack.calls.length).toBe(callsBefore); // no message, no response: nothing read the request
  });

  it('accepts the same request correctly signed (the checks above are not refusing everything)', async () => {
    const r = await command({ text: 'help', user: MALLORY, channel: CHANNELS.random });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/rotator rotate <secretId>') });
  });
});

describe('authorisation from the inventory', () => {
  it('refuses an unauthorised user politely, starts nothing, and audits the refusal', async () => {
    const attempts = [
      await command({ text: `rotate ${untouched.secretId}`, user: MALLORY, channel: CHANNELS.random }),
      await command({ text: `leak ${untouched.secretId} pasted in a public gist`, user: MALLORY, channel: CHANNELS.random }),
      // #incident may rotate, but a channel listed for rotate is not listed for leak
      await command({ text: `leak ${untouched.secretId} pasted in a public gist`, user: BOB, channel: CHANNELS.incident }),
    ];
    for (const r of attempts) {
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(3000);
      const ack = JSON.parse(r.text) as { response_type: string; text: string };
      expect(ack.response_type).toBe('ephemeral');
      expect(ack.text).toMatch(/^Sorry, you can't .* `[a-z0-9-]+` from here: .* Nothing was started\./);
    }
    await waitFor(() => chatAudit('rotate', 'refused', MALLORY).length === 1 && chatAudit('leak', 'refused', MALLORY).length === 1 && chatAudit('leak', 'refused', BOB).length === 1, { what: 'the refusals in the audit log' });
    expect(chatAudit('rotate', 'refused', MALLORY)[0]).toMatchObject({
      actor: 'rotator',
      store: 'vault',
      ref: untouched.ref.path,
      outcome: 'AccessDenied',
      detail: { decision: 'refused', slackUser: MALLORY, slackChannel: CHANNELS.random },
    });
    expect(await latestRun(untouched.secretId)).toBeUndefined();
    expect(await incidentsOf(untouched.secretId)).toEqual([]);
  });
});

describe('rotation from chat', () => {
  it('a valid rotate acks within 3 s, starts exactly one rotation, and the thread receives its steps; a retried delivery starts nothing new', async () => {
    // anyone in #incident may rotate (the channel is listed), bob included
    const first = await command({ text: `rotate ${rotated.secretId}`, user: BOB, channel: CHANNELS.incident });
    expect(first.status).toBe(200);
    expect(first.ms).toBeLessThan(3000);
    expect(JSON.parse(first.text)).toEqual({ response_type: 'ephemeral', text: `Starting a rotation of \`${rotated.secretId}\`…` });

    // the first rotation bootstraps the secret (no current version yet: no grace period)
    await waitFor(async () => (await latestRun(rotated.secretId)) !== undefined, { what: 'the rotation to start' });
    const runId = await latestRun(rotated.secretId);
    const result: RotationResult = await h.client.workflow.getHandle(rotationWorkflowId(rotated.secretId), runId).result();
    expect(result.outcome).toBe('rotated');
    await waitFor(() => rotationThread(rotated.secretId).some((m) => m.text.includes('rotated: it now uses')), { what: 'the outcome in the thread' });
    const thread = rotationThread(rotated.secretId);
    expect(thread[0]).toMatchObject({ channel: CHANNELS['payments-oncall'], threadTs: undefined });
    expect(thread[0].text).toContain(`started by <@${BOB}>`);
    expect(thread.slice(1).map((m) => m.text.replace(/ \(\d[^)]*\)/, ''))).toEqual([
      ':white_check_mark: pick inactive account: ' + `${rotated.postgres.accounts[0]} (active: none yet)`,
      expect.stringMatching(/^:white_check_mark: stage password: version [0-9a-f]+$/),
      `:white_check_mark: set password on ${rotated.postgres.accounts[0]}`,
      `:white_check_mark: verify login as ${rotated.postgres.accounts[0]}`,
      ':white_check_mark: promote',
      `:large_green_circle: \`${rotated.secretId}\` rotated: it now uses ${rotated.postgres.accounts[0]}.`,
    ]);
    // every Web API call carried the bot token, as Slack requires
    expect(slack.calls.filter((c) => c.kind === 'api').every((c) => c.authorization === `Bearer ${BOT_TOKEN}`)).toBe(true);
    await waitFor(() => chatAudit('rotate', 'started', BOB).length === 1, { what: 'the start in the audit log' });
    expect(chatAudit('rotate', 'started', BOB)[0]).toMatchObject({ outcome: 'ok', workflowId: rotationWorkflowId(rotated.secretId) });

    // Slack re-delivers the same command (same trigger id and body, new timestamp, X-Slack-Retry-Num)
    const retry = await post(first.body, { retryNum: 1 });
    expect(retry.status).toBe(200);
    expect(JSON.parse(retry.text).text).toBe('This command was already received; nothing new was started.');
    await waitFor(() => chatAudit('rotate', 'duplicate', BOB).length === 1, { what: 'the duplicate in the audit log' });
    expect(await latestRun(rotated.secretId)).toBe(runId);
    expect(rotationThread(rotated.secretId, 1)).toEqual([]);
    await rememberPasswords(rotated);
  });

  it('status answers with the secret\'s state, as `rotator status` reads it', async () => {
    const r = await command({ text: `status ${rotated.secretId}`, user: BOB, channel: CHANNELS.incident });
    expect(r.status).toBe(200);
    await waitFor(() => slack.responses(r.trigger).length === 1, { what: 'the status answer' });
    const lines = slack.responses(r.trigger)[0].split('\n');
    expect(lines.slice(0, 2)).toEqual([`*${rotated.secretId}* (postgres-dual-account, store vault, every 30d)`, '• no rotation running']);
    expect(lines).toContain('• schedule: not synced');
  });

  it('the grace-period message carries Skip grace and Abort; an unauthorised click changes nothing; Abort rolls the rotation back', async () => {
    const before = parseDatabaseSecret((await vault.getVersion(rotated.ref, 'current')).value, rotated.ref);
    const r = await command({ text: `rotate ${rotated.secretId}`, user: ALICE, channel: CHANNELS.random });
    expect(r.status).toBe(200);
    await waitFor(() => rotationThread(rotated.secretId, 1).some(graceButtons), { what: 'the grace message with its buttons' });
    const runId = await latestRun(rotated.secretId);
    const handle = h.client.workflow.getHandle(rotationWorkflowId(rotated.secretId), runId);
    const grace = structuredClone(rotationThread(rotated.secretId, 1).find(graceButtons)!); // as people's clients show it, buttons and all
    expect(grace.text).toContain('is in its grace period');
    const actions = grace.blocks.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; text: { text: string } }> };
    expect(actions.elements.map((e) => [e.action_id, e.text.text])).toEqual([
      [ACTION.skipGrace, 'Skip grace'],
      [ACTION.abort, 'Abort'],
    ]);

    // a second start while it runs: refused by the workflow id, not by memory (a new trigger id)
    const again = await command({ text: `rotate ${rotated.secretId}`, user: ALICE, channel: CHANNELS.random });
    await waitFor(() => slack.responses(again.trigger).length === 1, { what: 'the answer to the second start' });
    expect(slack.responses(again.trigger)[0]).toBe(`Not started: a rotation of ${rotated.secretId} is already running. See \`/rotator status ${rotated.secretId}\`.`);
    expect(await latestRun(rotated.secretId)).toBe(runId);
    const st = await command({ text: `status ${rotated.secretId}`, user: ALICE, channel: CHANNELS.random });
    await waitFor(() => slack.responses(st.trigger).length === 1, { what: 'the status answer' });
    expect(slack.responses(st.trigger)[0]).toContain(`• running now: \`${rotationWorkflowId(rotated.secretId)}\`, phase *grace*, step "grace period".`);

    // mallory's click is refused and audited; the rotation stays in its grace period
    const denied = await click(grace, ACTION.abort, MALLORY, CHANNELS['payments-oncall']);
    expect(denied.status).toBe(200);
    await waitFor(() => chatAudit('abort', 'refused', MALLORY).length === 1, { what: 'the refused click in the audit log' });
    expect(slack.responses(denied.trigger)[0]).toMatch(/^Sorry, you can't steer the rotation of/);
    expect((await handle.query(progressQuery)).phase).toBe('grace');

    // bob may steer: Abort rolls back
    const abort = await click(grace, ACTION.abort, BOB, CHANNELS['payments-oncall']);
    expect(abort.status).toBe(200);
    expect(abort.ms).toBeLessThan(3000);
    const result: RotationResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back', reason: `aborted by slack:${BOB}: from Slack` });
    const after = parseDatabaseSecret((await vault.getVersion(rotated.ref, 'current')).value, rotated.ref);
    expect(after.username).toBe(before.username);
    expect(await tryLogin(rotated.postgres.database, before.username, before.password)).toBe('ok');

    await waitFor(() => rotationThread(rotated.secretId, 1).some((m) => m.text.includes('rolled-back')), { what: 'the outcome in the thread' });
    const thread = rotationThread(rotated.secretId, 1);
    expect(thread.some((m) => m.text === `:octagonal_sign: <@${BOB}> aborted the rotation: rolling back.`)).toBe(true);
    expect(thread.some((m) => m.text.startsWith(':white_check_mark: compensate: promote previous version'))).toBe(true);
    // the grace message lost its buttons once the grace period was over
    await waitFor(() => !graceButtons(slack.messages.find((m) => m.ts === grace.ts)!), { what: 'the buttons to go' });
    expect(slack.messages.find((m) => m.ts === grace.ts)!.text).toContain('ended early; rolling back');
    expect(chatAudit('abort', 'sent', BOB)).toHaveLength(1);

    // a late click on the old message is answered, not applied
    const late = await click(grace, ACTION.skipGrace, BOB, CHANNELS['payments-oncall']);
    await waitFor(() => slack.responses(late.trigger).length === 1, { what: 'the answer to a late click' });
    expect(slack.responses(late.trigger)[0]).toBe('Skip grace was not applied: the rotation is no longer running.');
    await rememberPasswords(rotated);
  });
});

describe('skipping grace from chat', () => {
  it('Skip grace ends the grace period now: the rotation finishes and the old credential dies', async () => {
    const before = parseDatabaseSecret((await vault.getVersion(rotated.ref, 'current')).value, rotated.ref);
    const r = await command({ text: `rotate ${rotated.secretId}`, user: ALICE, channel: CHANNELS.incident });
    expect(r.status).toBe(200);
    await waitFor(() => rotationThread(rotated.secretId, 2).some(graceButtons), { what: 'the grace message with its buttons' });
    const grace = structuredClone(rotationThread(rotated.secretId, 2).find(graceButtons)!);
    const handle = h.client.workflow.getHandle(rotationWorkflowId(rotated.secretId), await latestRun(rotated.secretId));
    await click(grace, ACTION.skipGrace, ALICE, CHANNELS['payments-oncall']);
    const result: RotationResult = await handle.result();
    expect(result.outcome).toBe('rotated');
    expect(result.activeAccount).not.toBe(before.username);
    expect(await tryLogin(rotated.postgres.database, before.username, before.password)).toBe('28P01');
    await waitFor(() => slack.messages.find((m) => m.ts === grace.ts)!.text.includes('over; the previous credential is being retired'), { what: 'the grace message to close' });
    expect(rotationThread(rotated.secretId, 2).map((m) => m.text)).toContain(`:fast_forward: <@${ALICE}> skipped the rest of the grace period.`);
    await rememberPasswords(rotated);
  });
});

describe('the leak playbook from chat', () => {
  it('a valid leak starts exactly one playbook and its thread receives the incident messages; re-deliveries start nothing', async () => {
    // a credential in use: the secret's first rotation, straight on the worker
    const boot: RotationResult = await h.client.workflow.execute('rotatePostgresDualAccount', { taskQueue: h.taskQueue, workflowId: rotationWorkflowId(leaked.secretId), args: [leaked] });
    expect(boot.outcome).toBe('rotated');
    const before = parseDatabaseSecret((await vault.getVersion(leaked.ref, 'current')).value, leaked.ref);
    passwordsSeen.push(before.password);

    const ts = now();
    const r = await command({ text: `leak ${leaked.secretId} pasted in a public gist`, user: ALICE, channel: CHANNELS.incident }, { ts });
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    expect(JSON.parse(r.text)).toEqual({ response_type: 'ephemeral', text: `Starting the leak response for \`${leaked.secretId}\`…` });

    // detectedAt is the signed request time; the reporter is the Slack user
    const incidentId = incidentWorkflowId(leaked.secretId, new Date(ts * 1000).toISOString());
    await waitFor(async () => (await incidentsOf(leaked.secretId)).length > 0, { what: 'the playbook to start' });
    const handle = h.client.workflow.getHandle(incidentId);
    const result: LeakResult = await handle.result();
    expect(result).toMatchObject({ incidentId, outcome: 'contained', detectedAt: new Date(ts * 1000).toISOString() });
    expect(await tryLogin(leaked.postgres.database, before.username, before.password)).toBe('28P01');
    await waitFor(() => slack.responses(r.trigger).length === 1, { what: 'the answer to the reporter' });
    expect(slack.responses(r.trigger)[0]).toBe(
      `:rotating_light: Leak response for \`${leaked.secretId}\` started by <@${ALICE}> (workflow \`${incidentId}\`): containing it now. The incident thread follows in #payments-oncall.`,
    );

    // the incident's thread in the secret's channel: opened, then the summary (containment time, blast radius) as replies
    const parent = slack.messages.find((m) => !m.threadTs && m.text.includes(`Leak: ${leaked.secretId}`));
    expect(parent?.channel).toBe(CHANNELS['payments-oncall']);
    await waitFor(() => slack.thread(parent!).length >= 2, { what: 'the summary in the thread' });
    const thread = slack.thread(parent!);
    expect(thread[0].text).toContain(`${leaked.secretId} leaked (pasted in a public gist); reported by slack:${ALICE}`);
    // the summary: containment time and the blast radius
    const summary = thread.find((m) => m.text.includes(`Leak of ${leaked.secretId}: contained in`));
    expect(summary?.text).toMatch(/contained in \d+(\.\d+)? s/);
    expect(summary?.text).toMatch(/blast radius/);
    expect(thread.every((m) => m.blocks.some((b) => b.type === 'context'))).toBe(true); // each names the incident
    expect(chatAudit('leak', 'started', ALICE)[0]).toMatchObject({ outcome: 'ok', workflowId: incidentId, detail: { slackChannel: CHANNELS.incident } });

    // the same delivery again (X-Slack-Retry-Num): this process remembers the trigger id
    const retry = await post(r.body, { retryNum: 1 });
    expect(JSON.parse(retry.text).text).toBe('This command was already received; nothing new was started.');
    // the same signed request replayed to a second replica (no memory of it): the incident id is the same
    const replica = await startChatServer(deps);
    try {
      const replay = await fetch(`http://127.0.0.1:${replica.port}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature(r.body, ts) },
        body: r.body,
      });
      expect(replay.status).toBe(200);
      await waitFor(() => slack.responses(r.trigger).length === 2, { what: 'the replica\'s answer' });
      expect(slack.responses(r.trigger)[1]).toBe(`Not started again: this report was already received and handled (workflow \`${incidentId}\`); its thread is in #payments-oncall.`);
    } finally {
      await replica.stop();
    }
    // exactly one playbook, the first delivery's
    expect(await incidentsOf(leaked.secretId)).toEqual([`${incidentId} ${(await handle.describe()).runId}`]);
    await rememberPasswords(leaked);
  });

  it('the Slack sink threads an incident\'s notifications, escalates loudly, and drops a repeated delivery', async () => {
    const sink = SlackSink.fromEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.apiUrl })!;
    const incidentId = `incident/sink-test/${new Date().toISOString()}`;
    const n = (event: Notification['event'], severity: Notification['severity'], title: string): Notification => ({
      id: `${incidentId}/${event}`, event, severity, incidentId, secretId: 'sink-test', title, text: 'what happened', owners: ['payments-oncall'], channel: '#payments-oncall', at: new Date().toISOString(), facts: { containmentMs: 1234 },
    });
    await sink.send(n('leak.opened', 'warning', 'Leak: sink-test'));
    await sink.send(n('leak.escalated', 'critical', 'ESCALATION: leaked sink-test not contained'));
    await sink.send(n('leak.escalated', 'critical', 'ESCALATION: leaked sink-test not contained')); // the activity's retry
    await sink.send({ ...n('leak.summary', 'info', 'no channel'), channel: undefined }); // nowhere to post: not Slack's
    const parent = slack.messages.find((m) => m.text.includes('Leak: sink-test'))!;
    const thread = slack.thread(parent);
    expect(thread.map((m) => m.text)).toEqual([':warning: *Leak: sink-test*\nwhat happened', '<!channel> :rotating_light: *ESCALATION: leaked sink-test not contained*\nwhat happened']);
    expect(thread[1].threadTs).toBe(parent.ts);
    expect(JSON.stringify(thread[1].blocks)).toContain('*containmentMs:* 1234');
  });
});

describe('`rotator chat`, the command', () => {
  const BIN = join(__dirname, '..', 'bin', 'rotator.js');
  const env = (extra: Record<string, string | undefined> = {}) => ({
    ...process.env,
    ROTATOR_INVENTORY: inventoryPath,
    ROTATOR_TASK_QUEUE: h.taskQueue,
    ROTATOR_AUDIT_LOG: auditPath,
    ROTATOR_LOG_LEVEL: 'info',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: slack.apiUrl,
    ...extra,
  });
  const run = (args: string[], e: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: e, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });

  it('listens on --port, verifies and answers requests, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'chat', '--port', '0'], { env: env({ PORT: '1' }), stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        log += d.toString();
        const line = log.split('\n').find((l) => l.includes('chat endpoint listening'));
        if (line) resolve((JSON.parse(line) as { port: number }).port);
      });
      child.once('exit', (code) => reject(new Error(`rotator chat exited (${code}) before listening:\n${log}`)));
    });
    try {
      const endpoint = `http://127.0.0.1:${port}/slack/events`;
      const { body } = commandBody({ text: `rotate ${untouched.secretId}`, user: MALLORY, channel: CHANNELS.random });
      const ts = now();
      const signed = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature(body, ts) }, body });
      expect(signed.status).toBe(200);
      expect(((await signed.json()) as { text: string }).text).toMatch(/^Sorry, you can't rotate/);
      const unsigned = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      expect(unsigned.status).toBe(401);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    expect(log).toContain('chat endpoint stopped');
    expect(log).not.toContain(SIGNING_SECRET);
    expect(log).not.toContain(BOT_TOKEN);
    expect(await latestRun(untouched.secretId)).toBeUndefined();
  });

  it('refuses to start without Slack credentials, or with a bad --port, naming the variable and never a value', async () => {
    const noSecret = await run(['chat', '--port', '0'], env({ SLACK_SIGNING_SECRET: undefined }));
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr.trim()).toBe("rotator: environment: SLACK_SIGNING_SECRET is not set (the app's signing secret, from its Basic Information page)");
    const userToken = await run(['chat', '--port', '0'], env({ SLACK_BOT_TOKEN: 'xoxp-a-user-token-not-a-bot' }));
    expect(userToken.code).toBe(1);
    expect(userToken.stderr.trim()).toBe('rotator: environment: SLACK_BOT_TOKEN is not a bot token (it must start with xoxb-)');
    expect(userToken.stderr).not.toContain('xoxp-a-user-token');
    const refused = await run(['chat', '--port', '0'], env({ SLACK_BOT_TOKEN: 'xoxb-revoked' }));
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('rotator: Slack refused SLACK_BOT_TOKEN (auth.test: invalid_auth)');
    const badPort = await run(['chat', '--port', 'eighty'], env());
    expect(badPort.code).toBe(2);
    expect(badPort.stderr.trim()).toBe('rotator: --port: "eighty" is not a port number (0-65535)');
  });
});

describe('secrets never reach chat', () => {
  it('no Slack call, response or acknowledgement carries a password, and neither does the audit log', async () => {
    const passwords = [...new Set([adminConfig().password, ...passwordsSeen])];
    expect(passwords.length).toBeGreaterThanOrEqual(6); // the admin's, three from the rotations, two from the leaked secret
    expect(slack.calls.length).toBeGreaterThan(10);
    const sent = [...slack.calls.map((c) => c.raw), ...ackBodies, readFileSync(auditPath, 'utf8')];
    for (const pw of passwords) {
      for (const text of sent) {
        expect(text.includes(pw)).toBe(false);
        expect(text.includes(encodeURIComponent(pw))).toBe(false);
      }
    }
  });
});
