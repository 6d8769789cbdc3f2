interface Entry {
  readonly key: string;
  /** When the key was last seen, in the caller's unit (a small integer keeps it inline in V8). */
  time: number;
  older: Entry | undefined;
  newer: Entry | undefined;
}

/**
 * Keys ordered by when they were last seen, oldest first: a Map for lookup plus a doubly linked
 * list for order. Touching, finding the oldest and removing it are O(1), so ending idle entries
 * from the old end never scans (a Map re-inserted on each touch would do the ordering too, but V8
 * leaves the deleted slots at its front for every later iteration to skip: quadratic in practice).
 */
export class RecencyList {
  private readonly byKey = new Map<string, Entry>();
  private oldest: Entry | undefined;
  private newest: Entry | undefined;

  get size(): number {
    return this.byKey.size;
  }

  /**
   * Marks `key` seen at `time` (never before the newest entry's time, so the list stays sorted even
   * if the clock steps back). Returns true when the key was not there.
   */
  touch(key: string, time: number): boolean {
    if (this.newest !== undefined && time < this.newest.time) time = this.newest.time;
    const known = this.byKey.get(key);
    if (known !== undefined) {
      known.time = time;
      if (known !== this.newest) {
        this.unlink(known);
        this.append(known);
      }
      return false;
    }
    const entry: Entry = { key, time, older: undefined, newer: undefined };
    this.byKey.set(key, entry);
    this.append(entry);
    return true;
  }

  /** The time of the least recently seen key, or undefined when empty. */
  oldestTime(): number | undefined {
    return this.oldest?.time;
  }

  removeOldest(): void {
    const entry = this.oldest;
    if (entry === undefined) return;
    this.unlink(entry);
    this.byKey.delete(entry.key);
  }

  private append(entry: Entry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest !== undefined) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private unlink(entry: Entry): void {
    if (entry.older !== undefined) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer !== undefined) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}
