/**
 * The `/rotator` slash command's grammar: `leak <secretId> <where…>`, `rotate <secretId>`,
 * `status <secretId>`, `help`. Parsing is pure and never quotes more of the text than the
 * word it could not use (a person may paste anything into a slash command).
 */

/** One parsed `/rotator` command. */
export type ChatCommand =
  | { kind: 'leak'; secretId: string; where: string }
  | { kind: 'rotate'; secretId: string }
  | { kind: 'status'; secretId: string }
  | { kind: 'help' };

/** What a command asks to do to a secret, as the inventory's `chat:` lists name it (plus status, read-only). */
export type ChatOperation = 'leak' | 'rotate' | 'steer' | 'status';

/** The command text does not follow the grammar; the message says how to write it. */
export class ChatUsageError extends Error {
  readonly type = 'ChatUsage';
}

const SECRET_ID = /^[a-z0-9_-]{1,100}$/;

export const USAGE = [
  '`/rotator leak <secretId> <where it leaked…>`: start the leak-response playbook (contain, invalidate, blast radius, post-mortem)',
  '`/rotator rotate <secretId>`: start a rotation; its steps, and Skip grace / Abort buttons, appear in a thread',
  '`/rotator status <secretId>`: the current state of the secret\'s rotation',
  '`/rotator help`: this text',
].join('\n');

function secretIdArg(word: string | undefined, sub: string): string {
  if (word === undefined) throw new ChatUsageError(`\`/rotator ${sub}\` needs a secret id, e.g. \`/rotator ${sub} payments-db\``);
  if (!SECRET_ID.test(word)) throw new ChatUsageError('a secret id is 1 to 100 lowercase letters, digits, - or _');
  return word;
}

function soleSecretId(word: string | undefined, rest: string[], sub: string): string {
  const secretId = secretIdArg(word, sub);
  if (rest.length > 0) throw new ChatUsageError(`\`/rotator ${sub}\` takes one secret id`);
  return secretId;
}

export function parseCommand(text: string): ChatCommand {
  const trimmed = text.trim();
  const [sub = 'help', id, ...rest] = trimmed.split(/\s+/).filter(Boolean);
  switch (sub.toLowerCase()) {
    case 'help':
      return { kind: 'help' };
    case 'leak': {
      const secretId = secretIdArg(id, 'leak');
      const where = rest.join(' ').trim();
      if (!where) throw new ChatUsageError('say where it leaked, e.g. `/rotator leak payments-db pasted in a public gist`');
      if (where.length > 500) throw new ChatUsageError('say where it leaked in at most 500 characters');
      return { kind: 'leak', secretId, where };
    }
    case 'rotate':
      return { kind: 'rotate', secretId: soleSecretId(id, rest, 'rotate') };
    case 'status':
      return { kind: 'status', secretId: soleSecretId(id, rest, 'status') };
    default:
      throw new ChatUsageError('unknown subcommand; try `/rotator help`');
  }
}
