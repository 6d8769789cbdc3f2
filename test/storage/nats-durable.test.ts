import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { connect } from 'nats';
import { startNatsServer, type NatsTestServer } from '../helpers/nats-server.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { freePort, spawnWt1, stopWt1, type Wt1Process } from '../helpers/process.js';
import { load, type Refusals } from '../helpers/durable-load.js';

// ackMode=durable with the nats engine: the write-ahead spool holds what the stream has not
// acknowledged, so an outage of the server, a full spool or a kill -9 of wt1 loses no event answered 200.

type Storage = { written: number; failed: number; stats: Record<string, number> };

async function live(url: string): Promise<Storage> {
  return ((await (await fetch(`${url}/internal/live`)).json()) as { processors: { storage: Storage } }).processors
    .storage;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The `id=` of every message of the stream, and how many messages carried each Nats-Msg-Id. */
async function streamIds(server: NatsTestServer, stream: string): Promise<{ ids: string[]; msgIds: Set<string> }> {
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await nc.jetstreamManager();
    const { state } = await jsm.streams.info(stream);
    const ids: string[] = [];
    const msgIds = new Set<string>();
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      const params = String(m.json<{ eventParams?: string }>().eventParams ?? '');
      ids.push(/(?:^|&)id=([gpa]\d+[xy]?)/.exec(params)?.[1] ?? `? ${params}`);
      const msgId = m.header.get('Nats-Msg-Id');
      assert.ok(!msgIds.has(msgId), `one message per id: ${msgId} twice`);
      msgIds.add(msgId);
    }
    return { ids, msgIds };
  } finally {
    await nc.close();
  }
}

/** Every acknowledged id is in the stream, and no event is there twice. */
function checkDelivered(acked: Set<string>, ids: string[]): void {
  const seen = new Set<string>();
  const twice = ids.filter((id) => seen.has(id) || !seen.add(id));
  assert.deepEqual(twice, [], 'no event twice in the stream');
  const missing = [...acked].filter((id) => !seen.has(id));
  assert.deepEqual(missing, [], `every acknowledged event is in the stream (${acked.size} acknowledged)`);
}

function natsKeys(nats: NatsTestServer, stream: string, spoolDir: string): Record<string, string> {
  return {
    ackMode: 'durable',
    'storage.class': 'nats',
    'storage.params.servers': nats.url,
    'storage.params.stream': stream,
    // A small engine buffer: during the outage the backlog is in the spool, not in memory.
    'storage.params.maxBufferedEvents': '50',
    'storage.params.maxInFlight': '16',
    'storage.params.publishTimeout': '0.5',
    'storage.params.reconnectWait': '0.1',
    'durable.spoolDir': spoolDir,
  };
}

test('nats durable: the server stopped then restarted under load: every event answered 200 arrives, once', async () => {
  const nats = await startNatsServer();
  const dir = tempDir();
  const wt1 = await startTestServer(natsKeys(nats, 'OUTAGE', dir));
  const acked = new Set<string>();
  const stop = { now: false };
  const refusals: Refusals = { count: 0, withoutRetryAfter: 0, codes: new Set() };
  try {
    const sending = load(wt1.url, acked, stop, 8, refusals);
    await waitFor('events acknowledged before the outage', () => acked.size >= 300);
    await nats.kill('SIGKILL');
    const atKill = acked.size;
    // Answered 200 while the server is away: only the spool has them (far more than the engine buffer).
    await waitFor('events acknowledged during the outage', () => acked.size >= atKill + 400);
    const during = await live(wt1.url);
    assert.ok(during.stats.durableSpoolBytes > 0, 'the spool holds the backlog');
    assert.equal(during.stats.connected, 0, 'the server is away');
    assert.equal((await fetch(`${wt1.url}/ready`)).status, 200, 'ready: the spool takes the events');
    await nats.restart();
    const atRestart = acked.size;
    await waitFor('events acknowledged after the restart', () => acked.size >= atRestart + 300);
    stop.now = true;
    await sending;
    await waitFor('the spool to drain', async () => (await live(wt1.url)).stats.durableSpoolBytes === 0);
    const after = await live(wt1.url);
    assert.equal(after.failed, 0, 'no event failed');
    assert.equal(refusals.count, 0, 'nothing refused: the spool was far from its bound');
    assert.ok(after.stats.durableSpoolRetries > 0, 'the engine refused events while away; the spool kept them');
    checkDelivered(acked, (await streamIds(nats, 'OUTAGE')).ids);
  } finally {
    stop.now = true;
    await wt1.stop();
    await nats.stop();
    removeDir(dir);
    removeDir(wt1.root);
  }
});

test('nats durable: past durable.maxSpoolBytes, 503 with Retry-After; nothing answered 200 is lost', async () => {
  const nats = await startNatsServer();
  const dir = tempDir();
  const wt1 = await startTestServer({ ...natsKeys(nats, 'BOUND', dir), 'durable.maxSpoolBytes': '65536' });
  const acked = new Set<string>();
  const stop = { now: false };
  const refusals: Refusals = { count: 0, withoutRetryAfter: 0, codes: new Set() };
  try {
    await nats.kill('SIGKILL');
    const sending = load(wt1.url, acked, stop, 8, refusals);
    // 64 KiB of lines (~100 events of ~400 bytes... a few hundred): the spool fills, then refuses.
    await waitFor('503s once the spool is full', () => refusals.count >= 50);
    const full = await live(wt1.url);
    assert.ok(full.stats.durableSpoolBytes <= 65536, `within the bound: ${full.stats.durableSpoolBytes}`);
    assert.equal(refusals.withoutRetryAfter, 0, 'every 503 says Retry-After');
    assert.equal((await fetch(`${wt1.url}/ready`)).status, 503, 'not ready while the spool is full');
    for (const code of refusals.codes) assert.match(code, /^WT1_ERR_(OVERLOADED|NOT_DURABLE)$/);
    const metrics = await (await fetch(`${wt1.url}/metrics`)).text();
    const counted = /^wt1_events_(refused|unconfirmed)_total (\d+)$/gm;
    let total = 0;
    for (const m of metrics.matchAll(counted)) total += Number(m[2]);
    assert.ok(total > 0, 'the refusals are counted');
    assert.match(metrics, /^wt1_durable_spool_bytes\{processor="storage",engine="nats"\} \d+$/m);
    // The server back: the spool drains, and 200s come again.
    await nats.restart();
    const atRestart = acked.size;
    await waitFor('200s again once the spool drains', () => acked.size >= atRestart + 200);
    stop.now = true;
    await sending;
    await waitFor('the spool to drain', async () => (await live(wt1.url)).stats.durableSpoolBytes === 0);
    checkDelivered(acked, (await streamIds(nats, 'BOUND')).ids);
  } finally {
    stop.now = true;
    await wt1.stop();
    await nats.stop();
    removeDir(dir);
    removeDir(wt1.root);
  }
});

test('nats durable: after kill -9 of wt1 serve, the next start delivers every event answered 200 once', async () => {
  const nats = await startNatsServer();
  const dir = tempDir();
  const env = {
    WT1_ACK_MODE: 'durable',
    WT1_LOG_LEVEL: 'warn',
    WT1_STORAGE__CLASS: 'nats',
    WT1_STORAGE__PARAMS__SERVERS: nats.url,
    WT1_STORAGE__PARAMS__STREAM: 'CRASH',
    WT1_STORAGE__PARAMS__MAX_BUFFERED_EVENTS: '50',
    WT1_STORAGE__PARAMS__PUBLISH_TIMEOUT: '0.5',
    WT1_STORAGE__PARAMS__RECONNECT_WAIT: '0.1',
    WT1_DURABLE__SPOOL_DIR: path.join(dir, 'spool'),
  };
  const port = await freePort();
  const acked = new Set<string>();
  const stop = { now: false };
  const started: Wt1Process[] = [];
  try {
    const first = await spawnWt1([], { port, env });
    started.push(first);
    const sending = load(first.url, acked, stop, 16);
    await waitFor('events acknowledged', () => acked.size >= 600);
    // The server away for the last part: those events are only in the spool when wt1 dies.
    await nats.kill('SIGKILL');
    const atKill = acked.size;
    await waitFor('events acknowledged with the server away', () => acked.size >= atKill + 600);
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    stop.now = true;
    await sending;
    await nats.restart();
    const second = await spawnWt1([], { port, env });
    started.push(second);
    await waitFor('the spool to drain', async () => (await live(second.url)).stats.durableSpoolBytes === 0);
    const stats = (await live(second.url)).stats;
    assert.ok(stats.durableSpoolReplayedEvents > 0, 'the events left by the crash were sent');
    assert.equal(await stopWt1(second), 0, second.output());
    checkDelivered(acked, (await streamIds(nats, 'CRASH')).ids);
  } finally {
    stop.now = true;
    for (const p of started) p.child.kill('SIGKILL');
    await nats.stop();
    removeDir(dir);
  }
});

test('nats durable: SIGTERM with the server away exits 0 in time; the next start sends what was kept', async () => {
  const nats = await startNatsServer();
  const dir = tempDir();
  const env = {
    WT1_ACK_MODE: 'durable',
    WT1_LOG_LEVEL: 'warn',
    WT1_SHUTDOWN_TIMEOUT: '2',
    WT1_STORAGE__CLASS: 'nats',
    WT1_STORAGE__PARAMS__SERVERS: nats.url,
    WT1_STORAGE__PARAMS__STREAM: 'TERM',
    WT1_STORAGE__PARAMS__RECONNECT_WAIT: '0.1',
    WT1_DURABLE__SPOOL_DIR: path.join(dir, 'spool'),
  };
  const started: Wt1Process[] = [];
  const hits = async (url: string, prefix: string): Promise<void> => {
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${url}/public/p.gif?id=${prefix}${i}`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
  };
  try {
    const first = await spawnWt1([], { env });
    started.push(first);
    await hits(first.url, 'g');
    await nats.kill('SIGKILL');
    await hits(first.url, 'p'); // acknowledged from the spool alone
    assert.equal(await stopWt1(first), 0, `exit 0 within shutdownTimeout:\n${first.output()}`);
    await nats.restart();
    const second = await spawnWt1([], { env });
    started.push(second);
    await waitFor('the spool to drain', async () => (await live(second.url)).stats.durableSpoolBytes === 0);
    assert.equal(await stopWt1(second), 0, second.output());
    const acked = new Set([
      ...Array.from({ length: 50 }, (_, i) => `g${i}`),
      ...Array.from({ length: 50 }, (_, i) => `p${i}`),
    ]);
    checkDelivered(acked, (await streamIds(nats, 'TERM')).ids);
  } finally {
    for (const p of started) p.child.kill('SIGKILL');
    await nats.stop();
    removeDir(dir);
  }
});
