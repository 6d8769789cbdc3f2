// How numbers, sizes, durations and params are written on the page.

export const numberFormat = new Intl.NumberFormat('en-US');
export const rateFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

/** `a=1&b=dark+blue` -> `a=1&b=dark blue`: params readable as typed (shown as text, never as markup). */
export function decodeParams(query: string | null | undefined): string | null | undefined {
  if (query === null || query === undefined || query === '') return query;
  return String(query)
    .split('&')
    .map((pair) => {
      try {
        return decodeURIComponent(pair.replace(/\+/g, ' '));
      } catch {
        return pair;
      }
    })
    .join('&');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return d + ' d ' + h + ' h';
  if (h > 0) return h + ' h ' + String(m).padStart(2, '0') + ' min';
  if (m > 0) return m + ' min ' + String(seconds % 60).padStart(2, '0') + ' s';
  return seconds + ' s';
}

/** 1, 2, 5 × 10^n at or above `value` (at least 1). */
export function niceCeiling(value: number): number {
  if (!(value > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** An axis label: 1.5k, 2M, 0.5. */
export function compact(n: number): string {
  if (n >= 1e6) return (n / 1e6).toFixed(n % 1e6 === 0 ? 0 : 1) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(n % 1e3 === 0 ? 0 : 1) + 'k';
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
