/**
 * Replay: the saved histories of a completed, a rolled-back and an aborted rotation, and of a
 * completed leak response, are replayed against today's workflow code. A change that would
 * break running workflows (a reordered or removed step without patched()) fails here. Record
 * anew with test/histories/record.ts when a change is meant to be incompatible.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { parseCodecKeys } from '../client/codec';
import { dataConverter } from '../client/connection';
import { REPLAY_CODEC_KEYS } from './helpers/replay-fixture';

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replay of saved histories', () => {
  it('has the four kinds of run on file', () => {
    expect(files).toEqual(['aborted.json', 'leak-contained.json', 'rolled-back.json', 'rotated.json']);
  });

  it('replays every saved history without nondeterminism', async () => {
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: JSON.parse(readFileSync(join(dir, f), 'utf8')) }));
    const results = Worker.runReplayHistories(
      { workflowsPath: require.resolve('../workflows'), dataConverter: dataConverter({ codecKeys: parseCodecKeys(REPLAY_CODEC_KEYS, 'replay fixture') }) },
      histories,
    );
    const seen: string[] = [];
    for await (const r of results) {
      expect(r.error, `${r.workflowId}: ${String(r.error)}`).toBeUndefined();
      seen.push(r.workflowId);
    }
    expect(seen.sort()).toEqual(['aborted', 'leak-contained', 'rolled-back', 'rotated']);
  });

  it('a changed workflow fails replay (the check can fail)', async () => {
    const history = JSON.parse(readFileSync(join(dir, 'rotated.json'), 'utf8'));
    const results = Worker.runReplayHistories(
      { workflowsPath: join(__dirname, 'workflows', 'reordered-rotation.ts'), dataConverter: dataConverter({ codecKeys: parseCodecKeys(REPLAY_CODEC_KEYS, 'replay fixture') }) },
      [{ workflowId: 'rotated', history }],
    );
    for await (const r of results) expect(r.error?.name).toBe('DeterminismViolationError');
  });
});
