// The wt1 live page. Served as a file (the page's Content-Security-Policy allows no inline script).
// Everything a visitor sent (page, params, user agent...) is shown with textContent or an
// attribute set through the DOM: nothing received is ever parsed as HTML.
// Memory stays flat over hours: the rate history is a fixed ring, tables are rebuilt in place.
'use strict';

(() => {
  const TOKEN_KEY = 'wt1.adminToken';
  const query = new URLSearchParams(location.search);
  /** Poll interval (ms); `?interval=` overrides it (100 ms to 60 s). */
  const POLL_MS = Math.min(60000, Math.max(100, Number(query.get('interval')) || 1000));
  /** Rate samples kept for the chart: 5 minutes at the default interval. */
  const MAX_SAMPLES = 300;
  /** Longer values are cut in the tables; the whole value is in the cell's title (on hover). */
  const CELL_CHARS = 72;
  /** At most this many handler values are shown per handler. */
  const MAX_HANDLER_VALUES = 60;

  const $ = (id) => document.getElementById(id);
  const numberFormat = new Intl.NumberFormat('en-US');
  const rateFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  let timer = 0;
  let polling = false;
  let eventsShownFor = -1; // receivedEvents when the events table was last built
  let previous = null; // { received, at } of the last poll
  let flushing = false;

  // The rate history: parallel fixed-size rings (time, events/s, received).
  const ring = {
    at: new Float64Array(MAX_SAMPLES),
    rate: new Float64Array(MAX_SAMPLES),
    received: new Float64Array(MAX_SAMPLES),
    head: 0,
    size: 0,
  };

  // ---------- small DOM helpers (text only) ----------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setText(id, text) {
    const node = $(id);
    if (node.textContent !== text) node.textContent = text;
  }

  /** A table cell holding `value` as text, cut to CELL_CHARS with the whole value as title. */
  function textCell(value, className) {
    const td = el('td', className);
    if (value === null || value === undefined || value === '') {
      td.textContent = '—';
      td.classList.add('muted');
      return td;
    }
    const text = String(value);
    if (text.length > CELL_CHARS) {
      td.textContent = text.slice(0, CELL_CHARS - 1) + '…';
      td.title = text;
      td.classList.add('cut');
    } else {
      td.textContent = text;
    }
    return td;
  }

  function numCell(value, className) {
    return el('td', 'num' + (className ? ' ' + className : ''), numberFormat.format(value));
  }

  function show(sectionId) {
    for (const id of ['login', 'denied', 'dashboard']) $(id).hidden = id !== sectionId;
    $('flush-box').hidden = sectionId !== 'dashboard';
    $('flush').disabled = sectionId !== 'dashboard' || flushing;
  }

  function status(kind, text) {
    const box = $('status');
    box.dataset.kind = kind;
    setText('status-text', text);
  }

  /** `a=1&b=dark+blue` -> `a=1&b=dark blue`: params readable as typed (shown as text, never as markup). */
  function decodeParams(query) {
    if (query === null || query === undefined || query === '') return query;
    return String(query).split('&').map((pair) => {
      try {
        return decodeURIComponent(pair.replace(/\+/g, ' '));
      } catch {
        return pair;
      }
    }).join('&');
  }

  function formatBytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
  }

  function formatDuration(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    if (d > 0) return d + ' d ' + h + ' h';
    if (h > 0) return h + ' h ' + String(m).padStart(2, '0') + ' min';
    if (m > 0) return m + ' min ' + String(seconds % 60).padStart(2, '0') + ' s';
    return seconds + ' s';
  }

  // ---------- talking to the collector ----------

  function authHeaders() {
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  /** A hidden tab polls every 10 s at most: enough for the chart, little load on the collector. */
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, document.hidden ? Math.max(POLL_MS, 10000) : POLL_MS);
  }

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      await pollOnce();
    } finally {
      polling = false;
    }
  }

  async function pollOnce() {
    let res;
    try {
      res = await fetch('live', { headers: authHeaders(), cache: 'no-store', signal: AbortSignal.timeout(Math.max(5000, POLL_MS)) });
    } catch (error) {
      status('error', 'collector unreachable (' + (error && error.name === 'TimeoutError' ? 'timeout' : 'network error') + '), retrying');
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
    let data;
    try {
      data = await res.json();
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

  function askToken(message) {
    clearTimeout(timer);
    token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    show('login');
    status('error', 'admin token needed');
    setText('login-error', message);
    $('forget').hidden = true;
    $('token').focus();
  }

  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    token = $('token').value.trim();
    $('token').value = '';
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('forget').hidden = false;
    setText('login-error', '');
    status('wait', 'checking the token…');
    void poll();
  });

  $('forget').addEventListener('click', () => askToken(''));

  $('flush').addEventListener('click', async () => {
    const button = $('flush');
    flushing = true;
    button.disabled = true;
    const result = $('flush-result');
    result.dataset.kind = 'wait';
    result.title = '';
    result.textContent = 'flushing…';
    try {
      const res = await fetch('flush', { method: 'POST', headers: authHeaders(), cache: 'no-store', signal: AbortSignal.timeout(30000) });
      if (res.status === 401) return askToken('This token was refused.');
      if (!res.ok) {
        result.dataset.kind = 'error';
        result.textContent = 'flush failed: HTTP ' + res.status + ' ' + (await res.text()).slice(0, 200);
        return;
      }
      const answer = await res.json();
      const published = Array.isArray(answer.published) ? answer.published.map(String) : [];
      result.dataset.kind = 'ok';
      if (published.length === 0) {
        result.textContent = 'flushed: no file published (nothing written since the last one)';
      } else {
        const last = published[published.length - 1].split(/[\\/]/).slice(-5).join('/');
        result.textContent = 'flushed: published ' + published.length + (published.length === 1 ? ' file: ' : ' files, last: ') + last;
        result.title = published.join('\n');
      }
    } catch (error) {
      result.dataset.kind = 'error';
      result.textContent = 'flush failed: ' + (error && error.name === 'TimeoutError' ? 'timeout' : 'network error');
    } finally {
      flushing = false;
      button.disabled = $('dashboard').hidden;
      void poll();
    }
  });

  // ---------- rendering ----------

  function render(data) {
    const received = Number(data.receivedEvents) || 0;
    const at = performance.now();
    let rate = 0;
    if (previous && at > previous.at && received >= previous.received) {
      rate = (received - previous.received) / ((at - previous.at) / 1000);
    }
    const first = previous === null || received < previous.received; // first poll, or a restart
    previous = { received, at };
    if (first) ring.size = 0;
    else pushSample(at, rate, received);

    setText('instance', String(data.instanceId ?? ''));
    setText('server-time', 'server time ' + String(data.serverTime ?? '') + ' UTC · up ' + formatDuration(Number(data.uptimeSeconds) || 0));
    setText('received', numberFormat.format(received));
    setText('received-sub', 'since start');
    setText('rate', first ? '–' : rateFormat.format(rate));
    setText('rate-avg', averageText(at, received));
    setText('files', numberFormat.format(Number(data.createdFiles) || 0));
    setText('saved', numberFormat.format(Number(data.savedEvents) || 0) + ' events saved');
    const input = Number(data.savedEventsInputSize) || 0;
    const output = Number(data.savedEventsGZippedSize) || 0;
    setText('bytes-in', formatBytes(input));
    setText('bytes-out', formatBytes(output));
    setText('ratio', output > 0 ? (input / output).toFixed(1) + ' ×' : '–');
    document.title = 'wt1 live · ' + (first ? '' : rateFormat.format(rate) + ' ev/s');

    renderProcessors(data.processors || {});
    renderHandlers(data.handlers || {});
    if (received !== eventsShownFor) {
      eventsShownFor = received;
      renderEvents(Array.isArray(data.lastEvents) ? data.lastEvents : []);
    }
    drawChart();
  }

  function pushSample(at, rate, received) {
    const i = (ring.head + ring.size) % MAX_SAMPLES;
    ring.at[i] = at;
    ring.rate[i] = rate;
    ring.received[i] = received;
    if (ring.size < MAX_SAMPLES) ring.size++;
    else ring.head = (ring.head + 1) % MAX_SAMPLES;
  }

  function sample(k) {
    return (ring.head + k) % MAX_SAMPLES;
  }

  /** Mean rate over the last minute (or what the history holds). */
  function averageText(at, received) {
    if (ring.size < 2) return '';
    let k = 0;
    while (k < ring.size - 1 && at - ring.at[sample(k)] > 60000) k++;
    const from = sample(k);
    const seconds = (at - ring.at[from]) / 1000;
    if (seconds <= 0) return '';
    const mean = (received - ring.received[from]) / seconds;
    return 'mean ' + rateFormat.format(mean) + ' over ' + Math.round(seconds) + ' s';
  }

  function renderProcessors(processors) {
    const rows = [];
    const stats = [];
    for (const [name, p] of Object.entries(processors)) {
      const tr = el('tr');
      tr.append(textCell(name, 'name'));
      tr.append(textCell(p.kind === 'storage' ? 'storage · ' + (p.engine ?? '') : 'handler · ' + (p.handler ?? '')));
      tr.append(numCell(p.received ?? 0));
      tr.append(numCell(p.queued ?? 0));
      const capacity = Number(p.capacity) || 1;
      const fill = el('td', 'fill');
      const meter = document.createElement('meter');
      meter.min = 0;
      meter.max = capacity;
      meter.low = capacity * 0.5;
      meter.high = capacity * 0.8;
      meter.optimum = 0;
      meter.value = Number(p.queued) || 0;
      fill.append(meter, el('span', 'muted', ' ' + ((100 * (Number(p.queued) || 0)) / capacity).toFixed(1) + ' % of ' + numberFormat.format(capacity)));
      tr.append(fill);
      tr.append(numCell(p.written ?? 0));
      tr.append(numCell(p.dropped ?? 0, p.dropped > 0 ? 'bad' : ''));
      tr.append(numCell(p.failed ?? 0, p.failed > 0 ? 'bad' : ''));
      tr.append(p.kind === 'storage' ? el('td', p.ready === false ? 'bad' : 'good', p.ready === false ? 'not ready' : 'ready') : el('td', 'muted', '—'));
      rows.push(tr);
      if (p.kind === 'storage' && p.stats && typeof p.stats === 'object') {
        const box = el('div', 'stat-group');
        box.append(el('span', 'stat-title', name + ' engine'));
        for (const [key, value] of Object.entries(p.stats)) {
          const chip = el('span', 'chip');
          chip.append(el('span', 'muted', key + ' '), el('strong', '', typeof value === 'number' ? numberFormat.format(value) : String(value)));
          box.append(chip);
        }
        stats.push(box);
      }
    }
    $('processors').tBodies[0].replaceChildren(...rows);
    $('engine-stats').replaceChildren(...stats);
  }

  function renderHandlers(handlers) {
    const entries = Object.entries(handlers);
    $('handlers-card').hidden = entries.length === 0;
    const blocks = [];
    for (const [name, snapshot] of entries) {
      const block = el('div', 'handler');
      block.append(el('h3', '', name));
      const table = el('table', 'kv');
      const body = el('tbody');
      const values = [];
      flatten('', snapshot, values);
      for (const [key, value] of values.slice(0, MAX_HANDLER_VALUES)) {
        const tr = el('tr');
        tr.append(textCell(key), typeof value === 'number' ? numCell(value) : textCell(value === null ? 'null' : String(value)));
        body.append(tr);
      }
      if (values.length > MAX_HANDLER_VALUES) {
        const tr = el('tr');
        tr.append(el('td', 'muted', '… ' + (values.length - MAX_HANDLER_VALUES) + ' more in /internal/handlers/' + name));
        body.append(tr);
      }
      table.append(body);
      block.append(table);
      blocks.push(block);
    }
    $('handlers').replaceChildren(...blocks);
  }

  /** Nested snapshot -> [dotted key, scalar] pairs (bounded: stops collecting past the display limit). */
  function flatten(prefix, value, out) {
    if (out.length > MAX_HANDLER_VALUES) return;
    if (value !== null && typeof value === 'object') {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
      if (entries.length === 0) out.push([prefix || '(empty)', '']);
      for (const [k, v] of entries) flatten(prefix ? prefix + '.' + k : k, v, out);
      return;
    }
    out.push([prefix || '(value)', value]);
  }

  function renderEvents(events) {
    const rows = [];
    for (const e of events) {
      const tr = el('tr');
      const time = String(e.serverTime ?? '');
      const timeCell = el('td', 'time', time.slice(11) || time);
      timeCell.title = time + ' UTC';
      tr.append(timeCell);
      tr.append(textCell(e.type, 'nowrap'));
      tr.append(textCell(e.origAddress, 'nowrap'));
      const visitor = textCell(e.visitorId);
      visitor.title = 'visitor ' + String(e.visitorId ?? '') + '\nsession ' + String(e.sessionId ?? '') +
        (e.visitorParams ? '\nvisitor params ' + decodeParams(e.visitorParams) : '') +
        (e.sessionParams ? '\nsession params ' + decodeParams(e.sessionParams) : '');
      tr.append(visitor);
      tr.append(textCell(e.page, 'url'));
      tr.append(textCell(e.referer, 'url'));
      tr.append(textCell(decodeParams(e.eventParams)));
      tr.append(textCell(e.ua));
      rows.push(tr);
    }
    $('events').tBodies[0].replaceChildren(...rows);
    $('no-events').hidden = events.length > 0;
  }

  // ---------- the rate chart (canvas, drawn whole on every poll) ----------

  function drawChart() {
    const canvas = $('chart');
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(200, canvas.clientWidth);
    const height = Math.max(120, canvas.clientHeight);
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);

    const css = getComputedStyle(document.documentElement);
    const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    const ink = color('--muted', '#666');
    const grid = color('--grid', '#ddd');
    const accent = color('--accent', '#2563eb');
    const area = color('--accent-soft', 'rgba(37,99,235,0.15)');

    const span = MAX_SAMPLES * POLL_MS;
    setText('chart-span', '· last ' + formatDuration(Math.round(span / 1000)));
    const left = 48;
    const right = width - 8;
    const top = 8;
    const bottom = height - 20;
    const now = ring.size > 0 ? ring.at[sample(ring.size - 1)] : performance.now();

    let max = 0;
    for (let k = 0; k < ring.size; k++) max = Math.max(max, ring.rate[sample(k)]);
    const scale = niceCeiling(max);
    const leading = scale / Math.pow(10, Math.floor(Math.log10(scale)));
    const steps = leading === 2 ? 4 : 5; // round tick values: 0.5 for 2, 0.2 for 1, 1 for 5

    g.font = '11px system-ui, sans-serif';
    g.lineWidth = 1;
    g.textBaseline = 'middle';
    for (let i = 0; i <= steps; i++) {
      const y = bottom - ((bottom - top) * i) / steps;
      g.strokeStyle = grid;
      g.beginPath();
      g.moveTo(left, Math.round(y) + 0.5);
      g.lineTo(right, Math.round(y) + 0.5);
      g.stroke();
      g.fillStyle = ink;
      g.textAlign = 'right';
      g.fillText(compact((scale * i) / steps), left - 6, y);
    }
    g.textAlign = 'left';
    g.textBaseline = 'alphabetic';
    g.fillText('−' + formatDuration(Math.round(span / 1000)), left, height - 4);
    g.textAlign = 'right';
    g.fillText('now', right, height - 4);

    if (ring.size < 2) {
      g.textAlign = 'center';
      g.fillText('collecting samples…', (left + right) / 2, (top + bottom) / 2);
      return;
    }
    const x = (at) => right - ((now - at) / span) * (right - left);
    const y = (rate) => bottom - (rate / scale) * (bottom - top);
    g.beginPath();
    for (let k = 0; k < ring.size; k++) {
      const i = sample(k);
      const px = Math.max(left, x(ring.at[i]));
      if (k === 0) g.moveTo(px, y(ring.rate[i]));
      else g.lineTo(px, y(ring.rate[i]));
    }
    g.strokeStyle = accent;
    g.lineWidth = 2;
    g.lineJoin = 'round';
    g.stroke();
    g.lineTo(right, bottom);
    g.lineTo(Math.max(left, x(ring.at[sample(0)])), bottom);
    g.closePath();
    g.fillStyle = area;
    g.fill();
    canvas.setAttribute('aria-label', 'events per second over the last ' + formatDuration(Math.round(span / 1000)) + '; now ' + rateFormat.format(ring.rate[sample(ring.size - 1)]));
  }

  /** 1, 2, 5 × 10^n at or above `value` (at least 1). */
  function niceCeiling(value) {
    if (!(value > 1)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
    return 10 * power;
  }

  function compact(n) {
    if (n >= 1e6) return (n / 1e6).toFixed(n % 1e6 === 0 ? 0 : 1) + 'M';
    if (n >= 1e3) return (n / 1e3).toFixed(n % 1e3 === 0 ? 0 : 1) + 'k';
    return Number.isInteger(n) ? String(n) : n.toFixed(1);
  }

  window.addEventListener('resize', drawChart);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && !$('dashboard').hidden) void poll();
  });
  $('forget').hidden = !token;
  void poll();
})();
