/**
 * Consecutive failures of a remote store (uploads, publishes): how many in a row, for the backoff,
 * and when to log them: the first of a streak, then at most once a minute, so an outage of hours
 * says it is still there without flooding the log.
 */
export class FailureStreak {
  /** Failures since the last success. */
  inARow = 0;
  private lastLogged = 0;

  /** Counts a failure; true when this one should be logged. */
  fail(now = Date.now()): boolean {
    this.inARow++;
    if (this.inARow > 1 && now - this.lastLogged <= 60_000) return false;
    this.lastLogged = now;
    return true;
  }

  /** Counts a success; returns the length of the streak it ends (0: there was none, nothing to log). */
  succeed(): number {
    const ended = this.inARow;
    this.inARow = 0;
    return ended;
  }
}
