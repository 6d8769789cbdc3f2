/**
 * The confirm hook's count (StorageEngine.confirmed) for an engine whose answers may come out of
 * order (several messages in flight, retries): events are numbered 0, 1, 2... as accepted; `done(n)`
 * marks one final (acknowledged, or refused for good); `count` is how many from 0 on are all final.
 * Memory: only the final ones above a gap, at most the engine's in-flight window.
 */
export class InOrderCount {
  count = 0;
  private readonly above = new Set<number>();

  done(n: number): void {
    if (n !== this.count) {
      if (n > this.count) this.above.add(n);
      return;
    }
    this.count++;
    while (this.above.size > 0 && this.above.delete(this.count)) this.count++;
  }
}
