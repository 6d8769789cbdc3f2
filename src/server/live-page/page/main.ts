// The wt1 live page, bundled by scripts/build-live-page.mjs into dist/live-page/live-page.js and
// served as a file (the page's Content-Security-Policy allows no inline script). It polls
// /internal/live (typed by src/server/live-types.ts) and renders it; the Flush button posts to
// /internal/flush. Memory stays flat over hours: the rate history is a fixed ring, tables are
// rebuilt in place.
import type { LiveSnapshot } from '../../live-types.js';
import { drawChart } from './chart.js';
import { byId, setText } from './dom.js';
import { rates, render } from './render.js';
import { POLL_MS, TOKEN_KEY } from './settings.js';

let token = sessionStorage.getItem(TOKEN_KEY) || '';
let timer = 0;
let polling = false;
let flushing = false;

function show(sectionId: 'login' | 'denied' | 'dashboard'): void {
  for (const id of ['login', 'denied', 'dashboard']) byId(id).hidden = id !== sectionId;
  byId('flush-box').hidden = sectionId !== 'dashboard';
  byId<HTMLButtonElement>('flush').disabled = sectionId !== 'dashboard' || flushing;
}

function status(kind: 'ok' | 'wait' | 'error', text: string): void {
  byId('status').dataset.kind = kind;
  setText('status-text', text);
}

function authHeaders(): Record<string, string> {
  return token ? { Authorization: 'Bearer ' + token } : {};
}

function failure(error: unknown): string {
  return (error as Error | null)?.name === 'TimeoutError' ? 'timeout' : 'network error';
}

/** A hidden tab polls every 10 s at most: enough for the chart, little load on the collector. */
function schedule(): void {
  clearTimeout(timer);
  timer = window.setTimeout(poll, document.hidden ? Math.max(POLL_MS, 10000) : POLL_MS);
}

async function poll(): Promise<void> {
  if (polling) return;
  polling = true;
  try {
    await pollOnce();
  } finally {
    polling = false;
  }
}

async function pollOnce(): Promise<void> {
  let res: Response;
  try {
    const signal = AbortSignal.timeout(Math.max(5000, POLL_MS));
    res = await fetch('live', { headers: authHeaders(), cache: 'no-store', signal });
  } catch (error) {
    status('error', 'collector unreachable (' + failure(error) + '), retrying');
    schedule();
    return;
  }
  if (res.status === 401) return askToken(token ? 'This token was refused.' : '');
  if (res.status === 403) {
    show('denied');
    status('error', 'forbidden');
    return;
  }
  if (!res.ok) {
    status('error', 'HTTP ' + res.status + ', retrying');
    schedule();
    return;
  }
  let data: LiveSnapshot;
  try {
    data = (await res.json()) as LiveSnapshot;
  } catch {
    status('error', 'unreadable answer, retrying');
    schedule();
    return;
  }
  show('dashboard');
  render(data);
  status('ok', 'live · every ' + (POLL_MS >= 1000 ? POLL_MS / 1000 + ' s' : POLL_MS + ' ms'));
  schedule();
}

function askToken(message: string): void {
  clearTimeout(timer);
  token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  show('login');
  status('error', 'admin token needed');
  setText('login-error', message);
  byId('forget').hidden = true;
  byId('token').focus();
}

function onLogin(event: Event): void {
  event.preventDefault();
  const input = byId<HTMLInputElement>('token');
  token = input.value.trim();
  input.value = '';
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  byId('forget').hidden = false;
  setText('login-error', '');
  status('wait', 'checking the token…');
  void poll();
}

async function onFlush(): Promise<void> {
  const button = byId<HTMLButtonElement>('flush');
  flushing = true;
  button.disabled = true;
  const result = byId('flush-result');
  result.dataset.kind = 'wait';
  result.title = '';
  result.textContent = 'flushing…';
  try {
    const signal = AbortSignal.timeout(30000);
    const res = await fetch('flush', { method: 'POST', headers: authHeaders(), cache: 'no-store', signal });
    if (res.status === 401) return askToken('This token was refused.');
    if (!res.ok) {
      result.dataset.kind = 'error';
      result.textContent = 'flush failed: HTTP ' + res.status + ' ' + (await res.text()).slice(0, 200);
      return;
    }
    showFlushed(result, (await res.json()) as { published?: unknown });
  } catch (error) {
    result.dataset.kind = 'error';
    result.textContent = 'flush failed: ' + failure(error);
  } finally {
    flushing = false;
    button.disabled = byId('dashboard').hidden;
    void poll();
  }
}

function showFlushed(result: HTMLElement, answer: { published?: unknown }): void {
  const published = Array.isArray(answer.published) ? answer.published.map(String) : [];
  result.dataset.kind = 'ok';
  if (published.length === 0) {
    result.textContent = 'flushed: no file published (nothing written since the last one)';
    return;
  }
  const last = published[published.length - 1].split(/[\\/]/).slice(-5).join('/');
  const count = published.length + (published.length === 1 ? ' file: ' : ' files, last: ');
  result.textContent = 'flushed: published ' + count + last;
  result.title = published.join('\n');
}

byId('login-form').addEventListener('submit', onLogin);
byId('forget').addEventListener('click', () => askToken(''));
byId('flush').addEventListener('click', () => void onFlush());
window.addEventListener('resize', () => drawChart(rates));
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && !byId('dashboard').hidden) void poll();
});
byId('forget').hidden = !token;
void poll();
