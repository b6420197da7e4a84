/**
 * Who may do what from chat, from the inventory alone: each secret's `chat:` lists (or the
 * defaults' when the secret has none) name the Slack users and channels that may run `leak`,
 * `rotate` and the steering buttons. A listed user may act from anywhere; a listed channel
 * lets anyone in it act from it. No list, nobody: chat is closed unless the inventory opens it.
 */
import type { SecretSpec } from '../inventory';
import type { ChatOperation } from './commands';

/** Who sent a request, as Slack's signed payload names them. */
export interface SlackCaller {
  userId: string;
  channelId: string;
}

/** The decision, and what it rested on (for the audit record). */
export type Authorisation = { allowed: true; via: 'user' | 'channel' } | { allowed: false; reason: string };

const LISTS = ['leak', 'rotate', 'steer'] as const;

/** The ids allowed to do `op` to the secret; `status` (read-only) is open to anyone allowed anything. */
function allowedIds(spec: SecretSpec, op: ChatOperation): string[] {
  const chat = spec.chat ?? {};
  if (op === 'status') return LISTS.flatMap((l) => chat[l] ?? []);
  return chat[op] ?? [];
}

export function authorise(spec: SecretSpec, op: ChatOperation, caller: SlackCaller): Authorisation {
  const ids = allowedIds(spec, op);
  if (ids.includes(caller.userId)) return { allowed: true, via: 'user' };
  if (ids.includes(caller.channelId)) return { allowed: true, via: 'channel' };
  const reason = ids.length === 0 ? `the inventory allows nobody to ${op} ${spec.id} from chat` : `neither the user nor the channel is in ${spec.id}'s chat.${op === 'status' ? '* lists' : op} list`;
  return { allowed: false, reason };
}
