import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';
import { validateConfig } from '../../src/server/plugins.js';
import type { RawValue } from '../../src/config/spec.js';
import { createEngine } from '../../src/storage/registry.js';
import { silentLogger } from '../../src/log.js';
import { natsEngine } from '../../src/storage/nats.js';
import { startNatsServer, type NatsTestServer } from '../helpers/nats-server.js';
import { removeDir, startTestServer } from '../helpers/server.js';
import { freePort, runWt1 } from '../helpers/process.js';
import { sampleEvent } from '../helpers/events.js';

interface StoredMessage {
  id: string;
  subject: string;
  json: Record<string, unknown>;
}

/** Every message of a stream, in stream order. */
async function readStream(server: NatsTestServer, stream: string): Promise<StoredMessage[]> {
  const nc: NatsConnection = await connect({ servers: server.url });
  try {
    const jsm = await nc.jetstreamManager();
    const { state } = await jsm.streams.info(stream);
    const out: StoredMessage[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      out.push({ id: m.header.get('Nats-Msg-Id'), subject: m.subject, json: m.json<Record<string, unknown>>() });
    }
    return out;
  } finally {
    await nc.close();
  }
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('nats: one JSON message per event, with the Kafka engine keys and a unique message id', async () => {
  const nats = await startNatsServer();
  const config = validateConfig(
    new Map<string, RawValue>([
      ['storage.class', 'nats'],
      ['storage.params.servers', nats.url],
      ['storage.params.subject', 'site.hits'],
      ['storage.params.stream', 'HITS'],
      ['storage.params.decodeParams', 'true'],
      ['instanceId', 'edge-1'],
    ]),
  );
  const engine = createEngine(natsEngine, config, { logger: silentLogger(), instanceId: 'edge-1', now: Date.now });
  try {
    await engine.open();
    engine.write(sampleEvent({ visitorId: 'a' }));
    engine.write(sampleEvent({ visitorId: 'b', page: null, browserWidth: 0, eventParams: '' }));
    await engine.flush();
    const stats = engine.stats();
    assert.equal(stats.accepted, 2);
    assert.equal(stats.savedEvents, 2, 'acknowledged');
    assert.equal(stats.pending, 0);

    const messages = await readStream(nats, 'HITS');
    assert.equal(messages.length, 2);
    assert.deepEqual(
      messages.map((m) => m.subject),
      ['site.hits', 'site.hits'],
    );
    assert.equal(new Set(messages.map((m) => m.id)).size, 2);
    for (const m of messages) assert.match(m.id, /^edge-1-[0-9a-f]{8}-\d+$/);
    assert.deepEqual(messages[0].json, {
      visitorId: 'a',
      sessionId: 's1',
      origAddress: '203.0.113.7',
      type: 'page',
      serverTS: '2026-11-27T06:05:04.123Z',
      clientTS: '2026-11-27T06:05:03.999Z',
      visitorParams: { plan: 'pro' },
      sessionParams: {},
      eventParams: { color: 'blue', price: 12.5, n: 3, tag: ['a', 'b'] },
      page: 'https://site.example/a?b=c',
      referer: 'https://search.example/?q="x"',
      tzOffset: '-60',
      browserWidth: 1280,
      browserHeight: 720,
      screenWidth: 1920,
      screenHeight: 1080,
      ua: 'Mozilla/5.0 (X11) tab\there',
      browserLanguage: 'fr-FR',
    });
    assert.equal(messages[1].json.visitorId, 'b');
    assert.equal('page' in messages[1].json, false);
    assert.equal('browserWidth' in messages[1].json, false);
    assert.deepEqual(messages[1].json.eventParams, {});
  } finally {
    await engine.close();
    await nats.stop();
  }
});

test(
  'nats: broker killed mid-stream: the pixel keeps answering, the ' +
    'buffer fills then drops and counts, delivery resumes',
  async () => {
    const nats = await startNatsServer();
    const wt1 = await startTestServer({
      'storage.class': 'nats',
      'storage.params.servers': nats.url,
      'storage.params.stream': 'WT1',
      'storage.params.maxBufferedEvents': '50',
      'storage.params.maxInFlight': '16',
      'storage.params.publishTimeout': '0.5',
      'storage.params.reconnectWait': '0.1',
    }).catch(async (e: unknown) => {
      await nats.stop();
      throw e;
    });
    type Storage = {
      received: number;
      written: number;
      failed: number;
      dropped: number;
      queued: number;
      ready: boolean;
      stats: Record<string, number>;
    };
    const storage = async (): Promise<Storage> =>
      ((await (await fetch(`${wt1.url}/internal/live`)).json()) as { processors: { storage: Storage } }).processors
        .storage;
    const hits = async (prefix: string, n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${wt1.url}/public/p.gif?__wt1ty=page&__wt1vic=${prefix}${i}`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'image/gif');
        await res.arrayBuffer();
      }
    };
    const checkIdentity = (s: Storage): void => {
      assert.equal(
        s.received,
        s.written + s.failed + s.dropped + s.queued,
        'queue: received = written + failed + dropped + queued',
      );
      assert.equal(s.stats.accepted, s.written, 'every event the queue wrote was accepted by the engine');
      assert.equal(
        s.stats.accepted,
        s.stats.savedEvents + s.stats.pending + s.stats.lost,
        'engine: accepted = acknowledged + pending + lost',
      );
      assert.equal(s.failed, s.stats.dropped, 'queue failures are the engine drops');
    };
    try {
      await hits('pre', 100);
      await waitFor('all acknowledged', async () => (await storage()).stats.savedEvents === 100);

      await nats.kill('SIGKILL');
      await hits('out', 150); // 50 fit in the buffer, 100 are dropped
      await waitFor('the queue to settle', async () => (await storage()).queued === 0);
      let s = await storage();
      checkIdentity(s);
      assert.equal(s.ready, false, 'not ready while the buffer is full');
      assert.equal(s.stats.pending, 50);
      assert.equal(s.stats.dropped, 100);
      assert.equal(s.dropped, 0, 'the queue itself never filled: write() did not block it');

      await nats.restart();
      await waitFor('the buffer to drain', async () => (await storage()).stats.pending === 0);
      await hits('post', 50);
      await waitFor('all acknowledged', async () => (await storage()).stats.savedEvents === 200);
      s = await storage();
      checkIdentity(s);
      assert.equal(s.ready, true);
      assert.equal(s.stats.lost, 0);
      assert.ok(s.stats.reconnects >= 1);

      const visitors = (await readStream(nats, 'WT1')).map((m) => m.json.visitorId as string);
      const expected = [
        ...Array.from({ length: 100 }, (_, i) => `pre${i}`),
        ...Array.from({ length: 50 }, (_, i) => `out${i}`),
        ...Array.from({ length: 50 }, (_, i) => `post${i}`),
      ];
      assert.equal(visitors.length, 200, 'no copies (message ids de-duplicate the re-publishes)');
      assert.deepEqual([...visitors].sort(), [...expected].sort());
    } finally {
      await wt1.stop();
      await nats.stop();
      removeDir(wt1.root);
    }
  },
);

test(
  'nats: with no stream capturing the subject yet, messages ' + 'are retried until one does, without copies',
  async () => {
    const nats = await startNatsServer();
    const config = validateConfig(
      new Map<string, RawValue>([
        ['storage.class', 'nats'],
        ['storage.params.servers', nats.url],
        ['storage.params.subject', 'late.hits'],
        ['storage.params.createStream', 'false'],
        ['storage.params.reconnectWait', '0.1'],
        ['storage.params.publishTimeout', '0.5'],
      ]),
    );
    const engine = createEngine(natsEngine, config, { logger: silentLogger(), instanceId: 'late', now: Date.now });
    const nc = await connect({ servers: nats.url });
    try {
      await engine.open();
      for (let i = 0; i < 3; i++) engine.write(sampleEvent({ visitorId: `late${i}` }));
      await waitFor('refused attempts', () => engine.stats().publishErrors >= 2);
      assert.equal(engine.stats().savedEvents, 0);
      assert.equal(engine.stats().pending, 3);

      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: 'LATE', subjects: ['late.hits'] });
      await waitFor('acknowledgements', () => engine.stats().savedEvents === 3);
      const stats = engine.stats();
      assert.equal(stats.pending, 0);
      assert.equal(stats.lost, 0);
      const visitors = (await readStream(nats, 'LATE')).map((m) => m.json.visitorId);
      assert.deepEqual(visitors.sort(), ['late0', 'late1', 'late2']);
    } finally {
      await nc.close();
      await engine.close();
      await nats.stop();
    }
  },
);

test('nats: a message over the server max_payload is lost and counted, and flush does not wait for it', async () => {
  const nats = await startNatsServer();
  const config = validateConfig(
    new Map<string, RawValue>([
      ['storage.class', 'nats'],
      ['storage.params.servers', nats.url],
      ['storage.params.subject', 'big.hits'],
      ['storage.params.stream', 'BIG'],
      ['storage.params.publishTimeout', '60'],
    ]),
  );
  const engine = createEngine(natsEngine, config, { logger: silentLogger(), instanceId: 'edge-1', now: Date.now });
  try {
    await engine.open();
    engine.write(sampleEvent({ visitorId: 'small' }));
    await engine.flush();
    engine.write(sampleEvent({ visitorId: 'huge', page: 'x'.repeat(1_200_000) })); // the default max_payload is 1 MiB
    // The last message to settle is refused by the client: flush used to wait the whole publishTimeout (60 s).
    const outcome = await Promise.race([
      engine.flush().then(() => 'flushed'),
      new Promise<string>((r) => setTimeout(() => r('still waiting after 20 s'), 20_000).unref()),
    ]);
    assert.equal(outcome, 'flushed');
    const stats = engine.stats();
    assert.deepEqual(
      { accepted: stats.accepted, savedEvents: stats.savedEvents, lost: stats.lost, pending: stats.pending },
      { accepted: 2, savedEvents: 1, lost: 1, pending: 0 },
    );
    assert.deepEqual(
      (await readStream(nats, 'BIG')).map((m) => m.json.visitorId),
      ['small'],
    );
  } finally {
    await engine.close();
    await nats.stop();
  }
});

test('nats: no broker at start stops wt1 serve with a clear error', async () => {
  const port = await freePort();
  const { code, stderr } = await runWt1(['serve', '--port', '0', '--host', '127.0.0.1'], {
    env: {
      WT1_STORAGE__CLASS: 'nats',
      WT1_STORAGE__PARAMS__SERVERS: `nats://127.0.0.1:${port}`,
      WT1_STORAGE__PARAMS__CONNECT_TIMEOUT: '0.5',
    },
  });
  assert.equal(code, 2, stderr);
  assert.match(stderr, /WT1_ERR_ENGINE_UNREACHABLE/);
  assert.match(stderr, new RegExp(`nats://127\\.0\\.0\\.1:${port}`));
});
