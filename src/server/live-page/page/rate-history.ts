import { rateFormat } from './format.js';
import { MAX_SAMPLES } from './settings.js';

/**
 * The rate history of the chart: parallel fixed-size rings (time, events/s, received), so memory
 * stays flat over hours of polling.
 */
export class RateHistory {
  readonly at = new Float64Array(MAX_SAMPLES);
  readonly rate = new Float64Array(MAX_SAMPLES);
  readonly received = new Float64Array(MAX_SAMPLES);
  private head = 0;
  size = 0;

  push(at: number, rate: number, received: number): void {
    const i = (this.head + this.size) % MAX_SAMPLES;
    this.at[i] = at;
    this.rate[i] = rate;
    this.received[i] = received;
    if (this.size < MAX_SAMPLES) this.size++;
    else this.head = (this.head + 1) % MAX_SAMPLES;
  }

  clear(): void {
    this.size = 0;
  }

  /** The ring index of the k-th sample, oldest first. */
  index(k: number): number {
    return (this.head + k) % MAX_SAMPLES;
  }

  /** The highest rate held (0 when empty). */
  maxRate(): number {
    let max = 0;
    for (let k = 0; k < this.size; k++) max = Math.max(max, this.rate[this.index(k)]);
    return max;
  }

  /** Mean rate over the last minute (or what the history holds), as text; '' with too few samples. */
  averageText(at: number, received: number): string {
    if (this.size < 2) return '';
    let k = 0;
    while (k < this.size - 1 && at - this.at[this.index(k)] > 60000) k++;
    const from = this.index(k);
    const seconds = (at - this.at[from]) / 1000;
    if (seconds <= 0) return '';
    const mean = (received - this.received[from]) / seconds;
    return 'mean ' + rateFormat.format(mean) + ' over ' + Math.round(seconds) + ' s';
  }
}
