/**
 * Reads rotations.yaml into a validated Inventory, or throws an InventoryError that lists
 * every problem with the file, line and column of the YAML node it is about.
 */
import { readFileSync } from 'node:fs';
import { type Document, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InventoryError, type InventoryIssue } from './errors';
import { type Environment, type Inventory, inventoryErrorMap, inventorySchema } from './schema';

/** Reads and validates an inventory file; throws InventoryError (naming the file) on any problem. */
export function loadInventory(file: string, env: Environment = process.env): Inventory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InventoryError([{ file, line: 0, column: 0, path: '', message: unreadable(err) }]);
  }
  return parseInventory(text, file, env);
}

/** Validates inventory text; `file` is only used to name it in issues. Throws InventoryError. */
export function parseInventory(text: string, file: string, env: Environment = process.env): Inventory {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  // The parser's own messages can quote the offending line, which may hold a secret: report its code only.
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    throw new InventoryError(yamlProblems.map((e) => ({ file, ...position(e.pos[0]), path: '', message: `YAML syntax error: ${e.code}` })));
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch {
    throw new InventoryError([{ file, line: 1, column: 1, path: '', message: 'YAML aliases refer to nothing or expand too far' }]);
  }

  const result = inventorySchema(env).safeParse(data, { error: inventoryErrorMap });
  if (result.success) return result.data;
  const issues = flatten(result.error.issues, []).map(({ issue, path }): InventoryIssue => {
    // an unknown key is shown at the key itself, with the key in its path
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const at = keys.length > 0 ? [...path, keys[0]] : path;
    const onKey = keys.length > 0 || issue.code === 'invalid_key';
    return { file, ...position(locate(doc, at, onKey)), path: formatPath(keys.length === 1 ? at : path), message: issue.message };
  });
  throw new InventoryError(sortAndDedupe(issues));
}

/** Where a zod path points in the document: the node's start, or its nearest existing ancestor's (a missing key). */
function locate(doc: Document, path: PropertyKey[], onKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = start(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const parent = isAlias(node) ? node.resolve(doc) : node;
    const segment = path[i];
    let next: unknown;
    let key: unknown;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      key = pair.key;
      next = pair.value;
    } else if (isSeq(parent) && typeof segment === 'number' && segment < parent.items.length) {
      next = parent.items[segment];
    } else {
      break;
    }
    const last = i === path.length - 1;
    // `key:` with nothing after it has an empty value node: the key is the place to point at
    const found = (last && onKey) || isEmpty(next) ? (start(key) ?? start(next)) : (start(next) ?? start(key));
    if (found !== undefined) offset = found;
    node = next;
  }
  return offset;
}

function start(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

function isEmpty(node: unknown): boolean {
  return !isNode(node) || !node.range || node.range[0] === node.range[1];
}

/** Replaces a union's failure by its one option that got past the type check, so the message is about the real problem. */
function flatten(issues: z.core.$ZodIssue[], prefix: PropertyKey[]): Array<{ issue: z.core.$ZodIssue; path: PropertyKey[] }> {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      const deep = issue.errors.filter((option) => option.some((e) => e.path.length > 0));
      if (deep.length === 1) return flatten(deep[0], path);
    }
    return [{ issue, path }];
  });
}

/** `secrets[0].postgres.accounts`; keys that are not plain names are quoted: `stores["my vault"]`. */
export function formatPath(path: PropertyKey[]): string {
  return path
    .map((segment, i) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const name = String(segment);
      if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) return i === 0 ? name : `.${name}`;
      return `[${JSON.stringify(name)}]`;
    })
    .join('');
}

function sortAndDedupe(issues: InventoryIssue[]): InventoryIssue[] {
  const seen = new Set<string>();
  return issues
    .filter((i) => {
      const key = `${i.line}:${i.column}:${i.path}:${i.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

function unreadable(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'inventory file not found';
    case 'EISDIR':
      return 'is a directory, not an inventory file';
    case 'EACCES':
    case 'EPERM':
      return 'inventory file cannot be read: permission denied';
    default:
      return `inventory file cannot be read${code ? ` (${code})` : ''}`;
  }
}
