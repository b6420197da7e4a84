/**
 * Inventory validation errors. Every message is written by us: none quotes a value from the
 * file or the environment, so an error can be printed, logged or posted to chat as it is.
 */

/** One problem in an inventory file, located at the YAML node it is about. */
export interface InventoryIssue {
  /** The file as the caller named it. */
  file: string;
  /** 1-based line; 0 when the issue is about the whole file (it could not be read). */
  line: number;
  /** 1-based column; 0 when `line` is 0. */
  column: number;
  /** Where in the document, like `secrets[0].postgres.accounts`; '' for the document itself. */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
}

/** Formats an issue as `file:line:col: path: message`, dropping the parts it does not have. */
export function formatIssue(issue: InventoryIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

/** An inventory that cannot be used; `issues` lists every problem found, not just the first. */
export class InventoryError extends Error {
  readonly type = 'InvalidInventory';
  readonly issues: InventoryIssue[];

  constructor(issues: InventoryIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'InventoryError';
    this.issues = issues;
  }
}
