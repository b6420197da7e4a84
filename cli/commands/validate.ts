/** `rotator validate [file]`: every problem of an inventory, one per line. */
import { InventoryError, loadInventory } from '../../inventory';
import { CliError, EXIT } from '../errors';

export function validate(file: string): void {
  try {
    const inv = loadInventory(file);
    process.stdout.write(`${file}: valid (${Object.keys(inv.stores).length} stores, ${inv.secrets.length} secrets)\n`);
  } catch (err) {
    if (!(err instanceof InventoryError)) throw err;
    process.stdout.write(`${err.message}\n`);
    throw new CliError(`${file}: ${err.issues.length} problem(s)`, EXIT.refused);
  }
}
