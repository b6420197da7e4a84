/**
 * The post-mortem a security team hands to an auditor: a Markdown timeline of every step with
 * its time and findings, the containment time against the target, what was revoked, the
 * blast radius, and next actions. Built from references, names and times only.
 */
import { formatDuration } from '../../inventory/duration';
import type { LeakResult, SecretKind, SecretRef, StepProgress } from '../../workflows/types';

/** Everything the post-mortem tells. */
export interface PostMortemInput {
  result: Omit<LeakResult, 'postMortem'>;
  kind: SecretKind;
  ref: SecretRef;
  where: string;
  reporter?: string;
  owners: string[];
  channel?: string;
}

/** 850 ms, 3.2 s, 16m5s. */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(Math.round(ms / 1000) * 1000);
}

/** A table cell: no pipe or line break from a name or a reporter's text can break the table. */
const cell = (text: string | number | undefined) => String(text ?? '').replace(/\|/g, '\\|').replace(/\s*[\r\n]+\s*/g, ' ');
const row = (cells: Array<string | number | undefined>) => `| ${cells.map(cell).join(' | ')} |`;
const table = (head: string[], rows: Array<Array<string | number | undefined>>) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
const took = (s: StepProgress) => (s.endedAt ? humanDuration(Date.parse(s.endedAt) - Date.parse(s.startedAt)) : '');

/** The next actions this incident calls for, most urgent first. */
export function nextActions(p: PostMortemInput): string[] {
  const r = p.result;
  const out: string[] = [];
  if (r.outcome !== 'contained') out.push(`Containment did not finish (${r.failedStep ?? 'unknown step'}: ${r.reason ?? 'see the timeline'}): the leaked credential may still work. Rotate ${p.ref.store}:${p.ref.path} by hand and end its sessions now.`);
  out.push(`Remove the leaked value where it was exposed (${p.where}) and ask the host to purge caches and history.`);
  if (r.breached) out.push(`Review why containment ${r.containmentMs === undefined ? 'never finished' : `took ${humanDuration(r.containmentMs)}`} against the ${humanDuration(r.slaMs)} target.`);
  const others = r.blastRadius?.entries.filter((e) => !e.identity.startsWith('rotator')) ?? [];
  if (others.length > 0) out.push(`Review the ${others.length} identit${others.length === 1 ? 'y' : 'ies'} in the blast radius with the owners (${p.owners.join(', ')}): confirm each one is a known consumer.`);
  if ((r.tokens?.revoked.length ?? 0) > 0) out.push(`Tell the holders of the ${r.tokens!.revoked.length} revoked Vault token(s) to log in again; find out why each read the secret.`);
  if (r.tokens?.skipped) out.push(`Token invalidation was skipped (${r.tokens.skipped}): check the store's own access log for reads in the exposure window.`);
  for (const gap of r.blastRadius?.gaps ?? []) out.push(`Close the evidence gap: ${gap}.`);
  if (r.outcome === 'contained') out.push('Confirm with the owners that every consumer recovered (they refresh the secret on their next login failure).');
  return out;
}

export function renderPostMortem(p: PostMortemInput): string {
  const r = p.result;
  const verdict =
    r.outcome !== 'contained'
      ? '**containment FAILED**'
      : r.breached
        ? `**target BREACHED** by ${humanDuration(r.containmentMs! - r.slaMs)}`
        : `within target (${Math.round((100 * r.containmentMs!) / r.slaMs)}% of it)`;
  const lines = [
    `# Post-mortem: leaked secret ${p.result.secretId}`,
    '',
    `- Incident: \`${r.incidentId}\``,
    `- Secret: ${r.secretId} (${p.kind}), kept at ${p.ref.store}:${p.ref.path}`,
    `- Where it leaked: ${p.where.replace(/\s*[\r\n]+\s*/g, ' ')}`,
    `- Reported by: ${p.reporter ?? 'unknown'}; detected at ${r.detectedAt}; response started at ${r.respondedAt}`,
    `- Exposure window: ${r.exposure.from} to ${r.outcome === 'contained' ? r.exposure.to : `now: still open (examined until ${r.exposure.to})`}`,
    `- Owners: ${p.owners.join(', ')}${p.channel ? `; channel ${p.channel}` : ''}`,
    `- Outcome: ${r.outcome}`,
    '',
    '## Containment time',
    '',
    table(['measure', 'value'], [
      ['target (steps 1 to 3 done after detection)', humanDuration(r.slaMs)],
      ['contained at', r.containedAt ?? 'not contained'],
      ['containment time (from detection)', r.containmentMs === undefined ? 'n/a' : humanDuration(r.containmentMs)],
      ['result', verdict],
      ['escalated', r.escalatedAt ?? 'no'],
    ]),
    '',
    '## Timeline',
    '',
    table(['#', 'step', 'started', 'ended', 'took', 'status', 'what it found'], r.steps.map((s, i) => [i + 1, s.name, s.startedAt, s.endedAt ?? '', took(s), s.status, s.detail ?? ''])),
    '',
    '## What was revoked',
    '',
    r.revoked.length === 0 ? 'Nothing was revoked at the source.' : table(['credential', 'action', 'sessions ended', 'dead at'], r.revoked.map((c) => [c.identity, c.action, c.sessionsEnded, c.at])),
    '',
    r.rotation && r.rotation.status !== 'none'
      ? `A running rotation (${r.rotation.workflowId}) was stopped first: ${r.rotation.status}${r.rotation.compensations.length ? `, after ${r.rotation.compensations.join('; ')}` : ''}.`
      : 'No rotation of this secret was running.',
    '',
    r.tokens?.skipped
      ? `Vault tokens: not examined (${r.tokens.skipped}).`
      : r.tokens
        ? table(['revoked token accessor', 'name', 'source', 'reads', 'first read', 'last read'], r.tokens.revoked.map((t) => [t.accessor, t.displayName, t.source, t.reads, t.firstRead, t.lastRead])) +
          `\n\n${r.tokens.revoked.length} token(s) revoked; ${r.tokens.ownReads} read(s) by rotator's own token (never revoked).`
        : 'Vault tokens: the invalidation step did not run.',
    '',
    '## Blast radius',
    '',
    r.blastRadius && r.blastRadius.entries.length > 0
      ? table(['identity', 'source', 'first seen', 'last seen', 'evidence'], r.blastRadius.entries.map((e) => [e.identity, e.source, e.firstSeen, e.lastSeen, e.evidence.join('; ')]))
      : 'No use of the credential was found in the exposure window.',
    '',
    ...(r.blastRadius ? ['Sources:', '', ...r.blastRadius.sources.map((s) => `- ${s}`), ...r.blastRadius.gaps.map((g) => `- not examined: ${g}`), ''] : []),
    '## Next actions',
    '',
    ...nextActions(p).map((a) => `- [ ] ${a}`),
    '',
  ];
  return lines.join('\n');
}
