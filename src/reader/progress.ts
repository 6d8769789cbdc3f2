import type { WriteStream } from 'node:tty';

/** Files from which a progress bar is worth showing. */
export const PROGRESS_MIN_FILES = 20;

/**
 * A one-line progress bar on a terminal (stderr), redrawn at most every 100 ms and erased at the end.
 * `wt1 cat` shows it only when stderr is a terminal and there are many files, so pipes and logs
 * never get it.
 */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: WriteStream,
    private readonly label: string,
  ) {}

  update(done: number, total: number): void {
    const now = Date.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    this.out.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}%`);
    this.drawn = true;
  }

  /** Erases the bar (before a message, and at the end). */
  clear(): void {
    if (!this.drawn) return;
    this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
