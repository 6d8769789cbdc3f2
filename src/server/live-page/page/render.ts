// One poll's answer on the page: the summary cards, the tables and the chart.
import type { LiveSnapshot } from '../../live-types.js';
import { drawChart } from './chart.js';
import { setText } from './dom.js';
import { formatBytes, formatDuration, numberFormat, rateFormat } from './format.js';
import { RateHistory } from './rate-history.js';
import { renderEvents, renderHandlers, renderProcessors } from './tables.js';
import { renderWorkers } from './workers.js';

export const rates = new RateHistory();
let previous: { received: number; at: number } | null = null; // the last poll
let eventsShownFor = -1; // receivedEvents when the events table was last built

export function render(data: LiveSnapshot): void {
  const received = Number(data.receivedEvents) || 0;
  const at = performance.now();
  let rate = 0;
  if (previous && at > previous.at && received >= previous.received) {
    rate = (received - previous.received) / ((at - previous.at) / 1000);
  }
  const first = previous === null || received < previous.received; // first poll, or a restart
  previous = { received, at };
  if (first) rates.clear();
  else rates.push(at, rate, received);

  renderSummary(data, received, first ? null : rate, at);
  renderProcessors(data.processors || {});
  renderHandlers(data.handlers || {});
  renderWorkers(data);
  if (received !== eventsShownFor) {
    eventsShownFor = received;
    renderEvents(Array.isArray(data.lastEvents) ? data.lastEvents : []);
  }
  drawChart(rates);
}

/** The header and the cards; `rate` is null on the first poll (nothing to compare with yet). */
function renderSummary(data: LiveSnapshot, received: number, rate: number | null, at: number): void {
  const uptime = formatDuration(Number(data.uptimeSeconds) || 0);
  setText('instance', String(data.instanceId ?? '') + (data.cluster ? ` · ${data.cluster.workers} workers` : ''));
  setText('server-time', 'server time ' + String(data.serverTime ?? '') + ' UTC · up ' + uptime);
  setText('received', numberFormat.format(received));
  setText('received-sub', 'since start');
  setText('rate', rate === null ? '–' : rateFormat.format(rate));
  setText('rate-avg', rates.averageText(at, received));
  setText('files', numberFormat.format(Number(data.createdFiles) || 0));
  setText('saved', numberFormat.format(Number(data.savedEvents) || 0) + ' events saved');
  const input = Number(data.savedEventsInputSize) || 0;
  const output = Number(data.savedEventsGZippedSize) || 0;
  setText('bytes-in', formatBytes(input));
  setText('bytes-out', formatBytes(output));
  setText('ratio', output > 0 ? (input / output).toFixed(1) + ' ×' : '–');
  document.title = 'wt1 live · ' + (rate === null ? '' : rateFormat.format(rate) + ' ev/s');
}
