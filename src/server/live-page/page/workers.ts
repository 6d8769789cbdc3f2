// The workers table of `wt1 serve --workers N` (hidden for a single process).
import type { LiveSnapshot, LiveWorker } from '../../live-types.js';
import { byId, el, numCell, textCell } from './dom.js';

export function renderWorkers(data: LiveSnapshot): void {
  const workers = Array.isArray(data.workers) ? data.workers : [];
  const card = byId('workers-card');
  card.hidden = workers.length === 0;
  if (workers.length === 0) return;
  const answered = data.cluster?.answered ?? workers.length;
  byId('workers-sub').textContent =
    `${workers.length} workers: the counters above are their sums` +
    (answered < workers.length ? ` (${workers.length - answered} did not answer: their last counters)` : '');
  byId<HTMLTableElement>('workers').tBodies[0].replaceChildren(...workers.map(workerRow));
}

function workerRow(w: LiveWorker): HTMLTableRowElement {
  const tr = el('tr');
  tr.append(textCell(w.name, 'name'));
  tr.append(textCell(w.instanceId ?? ''));
  tr.append(textCell(w.pid ?? ''));
  const state = w.answered ? w.state : `${w.state} · no answer`;
  tr.append(el('td', w.state === 'running' && w.answered ? 'good' : 'bad', state));
  tr.append(numCell(Number(w.restarts) || 0, w.restarts > 0 ? 'bad' : ''));
  tr.append(numCell(Number(w.receivedEvents) || 0));
  tr.append(numCell(Number(w.savedEvents) || 0));
  tr.append(numCell(Number(w.previousProcesses?.receivedEvents) || 0, 'muted'));
  return tr;
}
