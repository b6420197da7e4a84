/**
 * The 15-minute leak response, read top to bottom as its playbook:
 * 1. open the incident and announce it -> 2. contain (stop a running rotation, then kill the
 * leaked credential at its source) -> 3. invalidate the Vault tokens that read it -> 4. blast
 * radius -> 5. notify owners and channel -> 6. post-mortem.
 * A durable timer races steps 1-3 against detectedAt + slaMs; if they are not done when it
 * fires, the incident escalates and the playbook goes on. No step's failure stops the
 * playbook: a failed containment is escalated at once, and the post-mortem says so.
 */
import { condition, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/incident/activities';
import type { NotifyActivities } from '../activities/notify/activities';
import type { SecretDescription } from '../activities/stores/types';
import type { StoreActivities } from '../activities/stores/activities';
import { containmentOf } from './containment';
import { Incident, iso } from './incident';
import { CANCEL_ROTATION_CALL, INCIDENT_CALL, NOTIFY_CALL, STORE_CALL } from './presets';
import type { LeakInput, LeakResult } from './types';

export async function respondToLeak(input: LeakInput): Promise<LeakResult> {
  const { target, timings: t } = input;
  const { ref, kind } = target;
  const { workflowId, runId } = workflowInfo();
  const respondedAt = iso(Date.now());
  const incident = new Incident(workflowId, input, Date.parse(input.detectedAt) + t.slaMs);
  const store = proxyActivities<StoreActivities>(STORE_CALL(t));
  const act = proxyActivities<IncidentActivities>(INCIDENT_CALL(t));
  const rotation = proxyActivities<IncidentActivities>(CANCEL_ROTATION_CALL(t));
  const { notify } = proxyActivities<NotifyActivities>(NOTIFY_CALL(t));
  const sent = (sinks: string[]) => `sent to ${sinks.join(', ')}`;

  // The SLA clock: it never interrupts a step; when the target passes first (or containment
  // fails), it escalates once, louder, while the playbook goes on.
  let settled = false;
  const clock = (async () => {
    await condition(() => settled, Math.max(1, incident.deadline - Date.now()));
    if (incident.containedAt) return;
    incident.escalatedAt = iso(Date.now());
    const slaText = t.slaMs >= 60_000 ? `${t.slaMs / 60_000} min` : `${t.slaMs / 1000} s`;
    const why = settled ? 'containment FAILED' : `containment is not done ${slaText} after detection`;
    await incident.attempt('escalate', () => notify(incident.notification('leak.escalated', 'critical', `ESCALATION: leaked ${input.secretId} not contained`, `${why}: act now (${input.where}).`)), sent);
  })();

  // 1. open the incident and announce it
  const described = await incident.attempt('open incident', () => store.describeSecret(ref), (d) => `exposed since ${input.exposedSince ?? exposureStart(d) ?? input.detectedAt}`);
  const from = input.exposedSince ?? (described.ok ? exposureStart(described.value) : undefined) ?? input.detectedAt;
  const opened = `${input.secretId} leaked (${input.where}); reported by ${input.reporter ?? 'unknown'}, detected ${input.detectedAt}. Containment under way.`;
  await incident.attempt('announce', () => notify(incident.notification('leak.opened', 'warning', `Leak: ${input.secretId}`, opened, { exposedSince: from })), sent);

  // 2. contain: a running rotation compensates first, then the kind's own containment
  const containment = containmentOf(kind);
  const contained = await incident.attempt('contain', async () => {
    // an activity holding a Temporal client: getExternalWorkflowHandle().cancel() can ask the
    // rotation to stop, but a workflow cannot wait for another to end; the activity's recorded
    // result keeps replay deterministic (see activities/incident/activities.ts)
    const stopped = await incident.step('contain › stop running rotation', () => rotation.cancelRotation(input.rotationWorkflowId, t.rotationCancelTimeoutMs, t.pollMs), (r) =>
      r.status === 'none' ? 'none running' : `${r.status}${r.compensations.length ? ` after: ${r.compensations.join('; ')}` : ''}`,
    );
    const step = <T,>(name: string, fn: () => Promise<T>, detail?: (r: T) => string | undefined) => incident.step(`contain › ${name}`, fn, detail);
    return { stopped, report: await containment.contain(target, { timings: t, idempotencyKey: `${workflowId}/${runId}/contain`, step }) };
  }, ({ report: r }) => `${r.revoked.map((c) => c.identity).join(' and ')} dead; ${r.revoked.reduce((n, c) => n + c.sessionsEnded, 0)} session(s) ended`);
  const exposure = { from, to: iso(Date.now()) }; // the leaked credential is refused from here (when contained)

  // 3. invalidate what it could have minted
  const tokens = await incident.attempt('invalidate', () => act.invalidateVaultTokens(ref, exposure), (v) =>
    v.skipped ? `skipped: ${v.skipped}` : `${v.revoked.length} token(s) revoked; ${v.ownReads} read(s) by rotator's own token, never revoked`,
  );
  if (contained.ok && tokens.ok) incident.contained();
  settled = true;
  incident.phase = 'investigating';
  if (incident.containedAt) {
    const took = `contained ${(incident.containmentMs! / 1000).toFixed(1)} s after detection`;
    await incident.attempt('announce containment', () => notify(incident.notification('leak.contained', 'info', `Leak of ${input.secretId}: ${took}`, `${took}; the leaked credential is refused from now on. Measuring the blast radius.`, { containmentMs: incident.containmentMs! })), sent);
  }

  // 4. blast radius
  const report = contained.ok ? contained.value.report : undefined;
  const credentials = report?.revoked.map((c) => ({ identity: c.identity, until: c.at })) ?? containment.identities(target).map((identity) => ({ identity, until: exposure.to }));
  const blast = await incident.attempt('blast radius', () => act.blastRadius({ ref, kind, window: exposure, credentials, observed: report?.observed ?? [] }), (b) =>
    `${b.entries.length} identit${b.entries.length === 1 ? 'y' : 'ies'}${b.entries.length ? `: ${[...new Set(b.entries.map((e) => e.identity))].join(', ')}` : ''}`,
  );

  await clock; // an escalation goes out before the summary
  const result: Omit<LeakResult, 'postMortem'> = {
    incidentId: workflowId,
    secretId: input.secretId,
    outcome: incident.containedAt ? 'contained' : 'failed',
    detectedAt: input.detectedAt,
    respondedAt,
    slaMs: t.slaMs,
    containedAt: incident.containedAt,
    containmentMs: incident.containmentMs,
    breached: incident.containedAt === undefined || Date.parse(incident.containedAt) > incident.deadline,
    escalatedAt: incident.escalatedAt,
    exposure,
    rotation: contained.ok ? contained.value.stopped : undefined,
    revoked: report?.revoked ?? [],
    tokens: tokens.ok ? tokens.value : undefined,
    blastRadius: blast.ok ? blast.value : undefined,
    ...incident.firstFailure(),
    steps: incident.steps,
  };

  // 5. notify the owners and the channel
  const summary = result.outcome === 'contained' ? `contained in ${(result.containmentMs! / 1000).toFixed(1)} s${result.breached ? ' (target BREACHED)' : ''}` : `containment FAILED at ${result.failedStep}`;
  await incident.attempt('notify owners and channel', () =>
    notify(incident.notification('leak.summary', result.outcome === 'contained' ? 'info' : 'critical', `Leak of ${input.secretId}: ${summary}`, `${summary}; ${result.revoked.length} credential(s) revoked, ${result.tokens?.revoked.length ?? 0} token(s) revoked, ${result.blastRadius?.entries.length ?? 0} identit(ies) in the blast radius.`, {
      outcome: result.outcome, containmentMs: result.containmentMs ?? -1, breached: result.breached,
    })), sent);

  // 6. the post-mortem (its own step is the one line it cannot contain)
  const snapshot = { ...result, steps: incident.steps.map((s) => ({ ...s })) };
  const written = await incident.attempt('post-mortem', () => act.writePostMortem({ result: snapshot, kind, ref, where: input.where, reporter: input.reporter, owners: input.owners, channel: input.channel }), (p) => p.path);
  if (written.ok) {
    await incident.attempt('share post-mortem', () => notify(incident.notification('leak.postmortem', 'info', `Post-mortem of ${input.secretId}`, `Post-mortem written to ${written.value.path}.`, { path: written.value.path })), sent);
  }
  incident.phase = 'finished';
  return { ...result, steps: incident.steps, postMortem: written.ok ? written.value : undefined };
}

/** The oldest version that may still log in (current or previous), by the store's metadata. */
function exposureStart(d: SecretDescription): string | undefined {
  const times = d.versions.filter((v) => v.stages.includes('current') || v.stages.includes('previous')).flatMap((v) => (v.createdAt ? [Date.parse(v.createdAt)] : []));
  return times.length > 0 ? iso(Math.min(...times)) : d.lastChangedAt;
}
