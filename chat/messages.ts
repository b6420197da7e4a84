/**
 * Every chat message rotator writes, in one place. They are built from references, names,
 * durations and our own step texts (the `progress` query's, which carry no value), never from
 * a store read: no secret value can reach a message, because none is ever at hand here.
 */
import type { types } from '@slack/bolt';
import { formatDuration } from '../inventory';
import type { SecretStatus } from '../client/status';
import type { RotationProgress, RotationResult, StepProgress } from '../workflows/types';
import { USAGE } from './commands';
import type { SlackMessage } from './slack-threads';

/** action_id of the grace message's buttons. */
export const ACTION = { skipGrace: 'rotator_skip_grace', abort: 'rotator_abort' } as const;
/** The steering buttons, by their action ids. */
export type SteerAction = keyof typeof ACTION;

/** Slack's mrkdwn treats &, < and > as markup: our dynamic text is escaped. */
export const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const user = (id: string) => `<@${id}>`;
const took = (s: StepProgress) => (s.endedAt ? ` (${formatDuration(Date.parse(s.endedAt) - Date.parse(s.startedAt))})` : '');
const icon: Record<StepProgress['status'], string> = { running: ':hourglass_flowing_sand:', done: ':white_check_mark:', failed: ':x:', compensated: ':leftwards_arrow_with_hook:', skipped: ':fast_forward:' };
const section = (text: string): types.SectionBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

export const helpMessage = (): string => `*rotator* runs secret rotations and the leak-response playbook.\n${USAGE}`;

/** The polite refusal: it names what was refused and who can change that, not why in detail. */
export function refusalMessage(o: { operation: string; secretId: string; owners: string[] }): string {
  return (
    `Sorry, you can't ${o.operation} \`${esc(o.secretId)}\` from here: the inventory doesn't list you or this channel for it. ` +
    `Nothing was started. ${esc(o.secretId)}'s owners (${o.owners.map(esc).join(', ')}) can add you under \`chat\` in rotations.yaml.`
  );
}

/** The thread's first message for a rotation started from chat. */
export function rotationStartedMessage(o: { secretId: string; workflowId: string; userId: string }): SlackMessage {
  const text = `:arrows_counterclockwise: Rotation of \`${esc(o.secretId)}\` started by ${user(o.userId)} (workflow \`${esc(o.workflowId)}\`). Steps follow in this thread.`;
  return { text, blocks: [section(text)] };
}

export function stepMessage(s: StepProgress): SlackMessage {
  return { text: `${icon[s.status]} ${esc(s.name)}${took(s)}${s.detail ? `: ${esc(s.detail)}` : ''}` };
}

/** The button's value: which run it steers, so an old message never steers a newer rotation. */
export interface SteerTarget {
  secretId: string;
  workflowId: string;
  runId: string;
}

const remaining = (p: RotationProgress) =>
  p.graceEndsAt === undefined ? '' : ` It ends <!date^${Math.floor(Date.parse(p.graceEndsAt) / 1000)}^{time_secs}|at ${p.graceEndsAt}> (${formatDuration(Math.max(0, Math.ceil((Date.parse(p.graceEndsAt) - Date.now()) / 1000)) * 1000)} from now).`;

/** The grace-period message: both credentials work; Skip grace retires the old one now, Abort rolls back. */
export function graceMessage(t: SteerTarget, p: RotationProgress): SlackMessage {
  const text =
    `:hourglass: \`${esc(t.secretId)}\` is in its grace period: the new credential is current and the previous one still works.${remaining(p)}` +
    `${p.oldAccountSessions !== undefined ? ` Old account sessions: ${p.oldAccountSessions}.` : ''}`;
  const value = JSON.stringify(t);
  return {
    text,
    blocks: [
      section(text),
      {
        type: 'actions',
        block_id: 'rotator_grace',
        elements: [
          { type: 'button', action_id: ACTION.skipGrace, text: { type: 'plain_text', text: 'Skip grace' }, style: 'primary', value },
          {
            type: 'button',
            action_id: ACTION.abort,
            text: { type: 'plain_text', text: 'Abort' },
            style: 'danger',
            value,
            confirm: {
              title: { type: 'plain_text', text: 'Abort the rotation?' },
              text: { type: 'mrkdwn', text: `The previous credential of \`${esc(t.secretId)}\` becomes current again and the new one is locked.` },
              confirm: { type: 'plain_text', text: 'Abort and roll back' },
              deny: { type: 'plain_text', text: 'Keep rotating' },
            },
          },
        ],
      },
    ],
  };
}

/** The grace message once the grace period is over: the buttons go, a line says how it ended. */
export function graceOverMessage(t: SteerTarget, how: string): SlackMessage {
  const text = `:hourglass: Grace period of \`${esc(t.secretId)}\`: ${esc(how)}.`;
  return { text, blocks: [section(text)] };
}

export function outcomeMessage(r: RotationResult): SlackMessage {
  const head =
    r.outcome === 'rotated'
      ? `:large_green_circle: \`${esc(r.secretId)}\` rotated${r.activeAccount ? `: it now uses ${esc(r.activeAccount)}` : ''}.`
      : `:red_circle: \`${esc(r.secretId)}\` ${r.outcome}${r.failedStep ? ` at "${esc(r.failedStep)}"` : ''}${r.reason ? `: ${esc(r.reason)}` : ''}.`;
  return { text: head };
}

/** A steering request sent from a button, as the thread records it. */
export function steerSentMessage(action: SteerAction, userId: string): SlackMessage {
  return { text: action === 'abort' ? `:octagonal_sign: ${user(userId)} aborted the rotation: rolling back.` : `:fast_forward: ${user(userId)} skipped the rest of the grace period.` };
}

/** The workflow refused the update (its validator's reason, which we wrote). */
export function steerRefusedMessage(action: SteerAction, reason: string): string {
  return `${action === 'abort' ? 'Abort' : 'Skip grace'} was not applied: ${esc(reason)}.`;
}

/** `/rotator status` for a secret: the same facts as `rotator status` (client/status.ts). */
export function statusMessage(st: SecretStatus): string {
  const lines = [`*${esc(st.id)}* (${esc(st.type)}, store ${esc(st.store)}, ${esc(st.schedule)})`];
  const r = st.running;
  if (r) {
    const grace = r.graceEndsAt ? ` <!date^${Math.floor(Date.parse(r.graceEndsAt) / 1000)}^grace ends {time_secs}|grace ends ${r.graceEndsAt}>.` : '';
    lines.push(`• running now: \`${esc(r.workflowId)}\`${r.phase ? `, phase *${esc(r.phase)}*` : ''}${r.step ? `, step "${esc(r.step)}"` : ''}.${grace}`);
  } else lines.push('• no rotation running');
  lines.push(`• last successful rotation: ${st.lastRotation ? st.lastRotation.at : 'none on record'}`);
  if (st.lastRun && st.lastRun.outcome !== 'rotated') {
    lines.push(`• last run: ${esc(st.lastRun.outcome)} at ${st.lastRun.closedAt}${st.lastRun.failedStep ? ` ("${esc(st.lastRun.failedStep)}"${st.lastRun.reason ? `: ${esc(st.lastRun.reason)}` : ''})` : ''}`);
  }
  lines.push(`• schedule: ${st.scheduleState}${st.nextRun ? `, next run ${st.nextRun}` : ''}`);
  lines.push(`• ${st.overdue === true ? ':warning: overdue' : st.overdue === false ? 'not overdue' : 'overdue: cannot tell yet'}: ${esc(st.overdueReason)}`);
  return lines.join('\n');
}

/** The acknowledgement of a leak report; the incident's own messages come from the playbook's notifications. */
export function leakStartedMessage(o: { secretId: string; workflowId: string; userId: string; channel?: string }): string {
  const where = o.channel
    ? `The incident thread follows in ${esc(o.channel)}.`
    : `${esc(o.secretId)} has no \`channel\` in the inventory, so its notifications go to the other sinks only (no Slack thread).`;
  return `:rotating_light: Leak response for \`${esc(o.secretId)}\` started by ${user(o.userId)} (workflow \`${esc(o.workflowId)}\`): containing it now. ${where}`;
}
