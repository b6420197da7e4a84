/**
 * The trigger ids this process has acted on recently. Slack's signature check refuses any
 * request whose timestamp is more than 5 minutes old, so a given trigger can only be
 * delivered again within that window: remembering ids for longer than it (10 minutes by
 * default) catches every re-delivery to this process, and the bound on entries keeps memory
 * flat. Re-deliveries to another process, or after a restart, meet the deterministic workflow
 * ids instead (see chat/app.ts).
 */

/** A bounded, expiring set of ids. */
export class RecentIds {
  private readonly seen = new Map<string, number>();

  constructor(private readonly ttlMs = 10 * 60_000, private readonly max = 10_000, private readonly now: () => number = Date.now) {}

  /** True the first time `id` is offered within the TTL; false for a repeat. */
  firstTime(id: string): boolean {
    const t = this.now();
    this.expire(t);
    if (this.seen.has(id)) return false;
    this.seen.set(id, t);
    // insertion order is age order: drop the oldest beyond the bound
    for (const oldest of this.seen.keys()) {
      if (this.seen.size <= this.max) break;
      this.seen.delete(oldest);
    }
    return true;
  }

  /** Forgets `id`: the thing it stood for did not happen after all, so a repeat is welcome. */
  forget(id: string): void {
    this.seen.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(t: number): void {
    for (const [id, at] of this.seen) {
      if (t - at < this.ttlMs) break;
      this.seen.delete(id);
    }
  }
}
