/**
 * Client-side configuration, parsed once from the environment and injected. Workflows never
 * read it. Secrets (codec keys) have no defaults, except the local stack's generated key,
 * and only when pointed at the local stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { type CodecKey, parseCodecKeys } from './codec';
import { localCodecKeyFile, localTemporalAddress } from './local-stack';

/** A configuration problem; its message is ours and safe to print. */
export class ConfigError extends Error {
  readonly type = 'ConfigError';
}

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  ROTATOR_CODEC_KEYS: z.string().min(1).optional(),
  ROTATOR_CODEC_KEY_FILE: z.string().min(1).optional(),
  ROTATOR_INVENTORY: z.string().min(1).default('./rotations.yaml'),
  ROTATOR_TASK_QUEUE: z.string().min(1).default('rotator'),
});

/** How to reach Temporal, and the codec keys that seal payloads. */
export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  codecKeys: CodecKey[];
  inventoryPath: string;
}

/** Reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ROTATOR_CODEC_KEYS / ROTATOR_CODEC_KEY_FILE. */
export function loadTemporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  const address = e.TEMPORAL_ADDRESS ?? localTemporalAddress;
  return { address, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.ROTATOR_TASK_QUEUE, codecKeys: codecKeysFor(address, e), inventoryPath: e.ROTATOR_INVENTORY };
}

function codecKeysFor(address: string, e: z.infer<typeof EnvSchema>): CodecKey[] {
  if (e.ROTATOR_CODEC_KEYS) return parseCodecKeys(e.ROTATOR_CODEC_KEYS, 'ROTATOR_CODEC_KEYS');
  if (e.ROTATOR_CODEC_KEY_FILE) {
    if (!existsSync(e.ROTATOR_CODEC_KEY_FILE)) throw new ConfigError(`ROTATOR_CODEC_KEY_FILE: no file at ${e.ROTATOR_CODEC_KEY_FILE}`);
    return parseCodecKeys(readFileSync(e.ROTATOR_CODEC_KEY_FILE, 'utf8'), e.ROTATOR_CODEC_KEY_FILE);
  }
  if (address === localTemporalAddress && existsSync(localCodecKeyFile)) {
    return parseCodecKeys(readFileSync(localCodecKeyFile, 'utf8'), localCodecKeyFile);
  }
  throw new ConfigError(
    `no payload codec key for Temporal at ${address}: set ROTATOR_CODEC_KEYS (id:base64-of-32-bytes, first one encrypts) or ROTATOR_CODEC_KEY_FILE`,
  );
}
