// The rate chart: a canvas drawn whole on every poll, from the RateHistory.
import { byId, setText } from './dom.js';
import { compact, formatDuration, niceCeiling, rateFormat } from './format.js';
import type { RateHistory } from './rate-history.js';
import { MAX_SAMPLES, POLL_MS } from './settings.js';

interface Colors {
  readonly ink: string;
  readonly grid: string;
  readonly accent: string;
  readonly area: string;
}

/** The plot area inside the canvas, in CSS pixels. */
interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/** The vertical scale: its top value and how many gridline steps up to it. */
interface Scale {
  readonly max: number;
  readonly steps: number;
}

export function drawChart(history: RateHistory): void {
  const canvas = byId<HTMLCanvasElement>('chart');
  const { g, width, height } = fitCanvas(canvas);
  const frame: Frame = { width, height, left: 48, right: width - 8, top: 8, bottom: height - 20 };
  const colors = themeColors();
  const span = MAX_SAMPLES * POLL_MS;
  const spanText = formatDuration(Math.round(span / 1000));
  setText('chart-span', '· last ' + spanText);
  const scale = scaleFor(history.maxRate());

  drawGrid(g, frame, scale, colors);
  drawTimeAxis(g, frame, spanText);
  if (history.size < 2) {
    g.textAlign = 'center';
    g.fillText('collecting samples…', (frame.left + frame.right) / 2, (frame.top + frame.bottom) / 2);
    return;
  }
  drawRate(g, frame, scale, span, history, colors);
  const now = rateFormat.format(history.rate[history.index(history.size - 1)]);
  canvas.setAttribute('aria-label', 'events per second over the last ' + spanText + '; now ' + now);
}

/** Sizes the canvas for its CSS box and the screen's pixel ratio; gives a cleared context in CSS pixels. */
function fitCanvas(canvas: HTMLCanvasElement): { g: CanvasRenderingContext2D; width: number; height: number } {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(200, canvas.clientWidth);
  const height = Math.max(120, canvas.clientHeight);
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const g = canvas.getContext('2d') as CanvasRenderingContext2D;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  return { g, width, height };
}

/** The page's CSS custom properties (light or dark theme). */
function themeColors(): Colors {
  const css = getComputedStyle(document.documentElement);
  const color = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return {
    ink: color('--muted', '#666'),
    grid: color('--grid', '#ddd'),
    accent: color('--accent', '#2563eb'),
    area: color('--accent-soft', 'rgba(37,99,235,0.15)'),
  };
}

/** A round top value (1, 2, 5 × 10^n) and round tick values: 0.5 for 2, 0.2 for 1, 1 for 5. */
function scaleFor(maxRate: number): Scale {
  const max = niceCeiling(maxRate);
  const leading = max / 10 ** Math.floor(Math.log10(max));
  return { max, steps: leading === 2 ? 4 : 5 };
}

/** Horizontal gridlines with their rate labels on the left. */
function drawGrid(g: CanvasRenderingContext2D, f: Frame, scale: Scale, colors: Colors): void {
  g.font = '11px system-ui, sans-serif';
  g.lineWidth = 1;
  g.textBaseline = 'middle';
  for (let i = 0; i <= scale.steps; i++) {
    const y = f.bottom - ((f.bottom - f.top) * i) / scale.steps;
    g.strokeStyle = colors.grid;
    g.beginPath();
    g.moveTo(f.left, Math.round(y) + 0.5);
    g.lineTo(f.right, Math.round(y) + 0.5);
    g.stroke();
    g.fillStyle = colors.ink;
    g.textAlign = 'right';
    g.fillText(compact((scale.max * i) / scale.steps), f.left - 6, y);
  }
}

/** "−5 min" under the left end, "now" under the right end. */
function drawTimeAxis(g: CanvasRenderingContext2D, f: Frame, spanText: string): void {
  g.textAlign = 'left';
  g.textBaseline = 'alphabetic';
  g.fillText('−' + spanText, f.left, f.height - 4);
  g.textAlign = 'right';
  g.fillText('now', f.right, f.height - 4);
}

/** The rate line, newest sample at the right edge, and the area under it. */
function drawRate(
  g: CanvasRenderingContext2D,
  f: Frame,
  scale: Scale,
  span: number,
  history: RateHistory,
  colors: Colors,
): void {
  const now = history.at[history.index(history.size - 1)];
  const x = (at: number): number => Math.max(f.left, f.right - ((now - at) / span) * (f.right - f.left));
  const y = (rate: number): number => f.bottom - (rate / scale.max) * (f.bottom - f.top);
  g.beginPath();
  for (let k = 0; k < history.size; k++) {
    const i = history.index(k);
    if (k === 0) g.moveTo(x(history.at[i]), y(history.rate[i]));
    else g.lineTo(x(history.at[i]), y(history.rate[i]));
  }
  g.strokeStyle = colors.accent;
  g.lineWidth = 2;
  g.lineJoin = 'round';
  g.stroke();
  g.lineTo(f.right, f.bottom);
  g.lineTo(x(history.at[history.index(0)]), f.bottom);
  g.closePath();
  g.fillStyle = colors.area;
  g.fill();
}
