// The processors, handlers and last-events tables, rebuilt in place on each poll.
import type { LiveEvent, LiveProcessor } from '../../live-types.js';
import { byId, el, numCell, textCell } from './dom.js';
import { decodeParams, numberFormat } from './format.js';
import { MAX_HANDLER_VALUES } from './settings.js';

export function renderProcessors(processors: Readonly<Record<string, LiveProcessor>>): void {
  const rows: HTMLTableRowElement[] = [];
  const stats: HTMLElement[] = [];
  for (const [name, p] of Object.entries(processors)) {
    rows.push(processorRow(name, p));
    if (p.kind === 'storage' && p.stats && typeof p.stats === 'object') stats.push(engineStats(name, p.stats));
  }
  byId<HTMLTableElement>('processors').tBodies[0].replaceChildren(...rows);
  byId('engine-stats').replaceChildren(...stats);
}

function processorRow(name: string, p: LiveProcessor): HTMLTableRowElement {
  const tr = el('tr');
  tr.append(textCell(name, 'name'));
  tr.append(textCell(p.kind === 'storage' ? 'storage · ' + (p.engine ?? '') : 'handler · ' + (p.handler ?? '')));
  tr.append(numCell(p.received ?? 0));
  tr.append(numCell(p.queued ?? 0));
  tr.append(queueFill(Number(p.queued) || 0, Number(p.capacity) || 1));
  tr.append(numCell(p.written ?? 0));
  tr.append(numCell(p.dropped ?? 0, p.dropped > 0 ? 'bad' : ''));
  tr.append(numCell(p.failed ?? 0, p.failed > 0 ? 'bad' : ''));
  if (p.kind !== 'storage') tr.append(el('td', 'muted', '—'));
  else tr.append(el('td', p.ready === false ? 'bad' : 'good', p.ready === false ? 'not ready' : 'ready'));
  return tr;
}

/** The queue's fill: a meter (green, then amber past half, red past 80 %) and the percentage. */
function queueFill(queued: number, capacity: number): HTMLTableCellElement {
  const fill = el('td', 'fill');
  const meter = el('meter');
  meter.min = 0;
  meter.max = capacity;
  meter.low = capacity * 0.5;
  meter.high = capacity * 0.8;
  meter.optimum = 0;
  meter.value = queued;
  const percent = ((100 * queued) / capacity).toFixed(1);
  fill.append(meter, el('span', 'muted', ' ' + percent + ' % of ' + numberFormat.format(capacity)));
  return fill;
}

/** The engine's own counters, as chips. */
function engineStats(name: string, stats: Readonly<Record<string, unknown>>): HTMLElement {
  const box = el('div', 'stat-group');
  box.append(el('span', 'stat-title', name + ' engine'));
  for (const [key, value] of Object.entries(stats)) {
    const chip = el('span', 'chip');
    const shown = typeof value === 'number' ? numberFormat.format(value) : String(value);
    chip.append(el('span', 'muted', key + ' '), el('strong', '', shown));
    box.append(chip);
  }
  return box;
}

export function renderHandlers(handlers: Readonly<Record<string, unknown>>): void {
  const entries = Object.entries(handlers);
  byId('handlers-card').hidden = entries.length === 0;
  const blocks = entries.map(([name, snapshot]) => handlerBlock(name, snapshot));
  byId('handlers').replaceChildren(...blocks);
}

function handlerBlock(name: string, snapshot: unknown): HTMLElement {
  const block = el('div', 'handler');
  block.append(el('h3', '', name));
  const table = el('table', 'kv');
  const body = el('tbody');
  const values: [string, unknown][] = [];
  flatten('', snapshot, values);
  for (const [key, value] of values.slice(0, MAX_HANDLER_VALUES)) {
    const tr = el('tr');
    const cell = typeof value === 'number' ? numCell(value) : textCell(value === null ? 'null' : String(value));
    tr.append(textCell(key), cell);
    body.append(tr);
  }
  if (values.length > MAX_HANDLER_VALUES) {
    const tr = el('tr');
    const more = values.length - MAX_HANDLER_VALUES;
    tr.append(el('td', 'muted', '… ' + more + ' more in /internal/handlers/' + name));
    body.append(tr);
  }
  table.append(body);
  block.append(table);
  return block;
}

/** Nested snapshot -> [dotted key, scalar] pairs (bounded: stops collecting past the display limit). */
function flatten(prefix: string, value: unknown, out: [string, unknown][]): void {
  if (out.length > MAX_HANDLER_VALUES) return;
  if (value !== null && typeof value === 'object') {
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((v, i): [string, unknown] => [String(i), v])
      : Object.entries(value);
    if (entries.length === 0) out.push([prefix || '(empty)', '']);
    for (const [k, v] of entries) flatten(prefix ? prefix + '.' + k : k, v, out);
    return;
  }
  out.push([prefix || '(value)', value]);
}

export function renderEvents(events: readonly LiveEvent[]): void {
  const rows = events.map(eventRow);
  byId<HTMLTableElement>('events').tBodies[0].replaceChildren(...rows);
  byId('no-events').hidden = events.length > 0;
}

function eventRow(e: LiveEvent): HTMLTableRowElement {
  const tr = el('tr');
  const time = String(e.serverTime ?? '');
  const timeCell = el('td', 'time', time.slice(11) || time);
  timeCell.title = time + ' UTC';
  tr.append(timeCell);
  tr.append(textCell(e.type, 'nowrap'));
  tr.append(textCell(e.origAddress, 'nowrap'));
  const visitor = textCell(e.visitorId);
  visitor.title =
    'visitor ' +
    String(e.visitorId ?? '') +
    '\nsession ' +
    String(e.sessionId ?? '') +
    (e.visitorParams ? '\nvisitor params ' + decodeParams(e.visitorParams) : '') +
    (e.sessionParams ? '\nsession params ' + decodeParams(e.sessionParams) : '');
  tr.append(visitor);
  tr.append(textCell(e.page, 'url'));
  tr.append(textCell(e.referer, 'url'));
  tr.append(textCell(decodeParams(e.eventParams)));
  tr.append(textCell(e.ua));
  return tr;
}
