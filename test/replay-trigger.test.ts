/**
 * Replay of the schedule trigger: the saved histories of a trigger that started the rotation
 * and one that skipped it (a rotation was running) replay against today's code, so a change
 * that would break triggers in flight fails here. Record anew with test/histories/record-trigger.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { parseCodecKeys } from '../client/codec';
import { dataConverter } from '../client/connection';
import { REPLAY_CODEC_KEYS } from './helpers/replay-fixture';

const dir = join(__dirname, 'histories', 'trigger');
const histories = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: JSON.parse(readFileSync(join(dir, f), 'utf8')) }));
const converter = dataConverter({ codecKeys: parseCodecKeys(REPLAY_CODEC_KEYS, 'replay fixture') });

describe('replay of saved trigger histories', () => {
  it('has a started and a skipped trigger on file, and both replay without nondeterminism', async () => {
    expect(histories.map((h) => h.workflowId)).toEqual(['skipped', 'started']);
    const seen: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: require.resolve('../workflows'), dataConverter: converter }, histories)) {
      expect(r.error, `${r.workflowId}: ${String(r.error)}`).toBeUndefined();
      seen.push(r.workflowId);
    }
    expect(seen.sort()).toEqual(['skipped', 'started']);
  });

  it('a trigger that no longer starts the rotation as a child fails replay (the check can fail)', async () => {
    const results = Worker.runReplayHistories({ workflowsPath: join(__dirname, 'workflows', 'trigger-without-child.ts'), dataConverter: converter }, histories);
    for await (const r of results) expect(r.error?.name, r.workflowId).toBe('DeterminismViolationError');
  });
});
