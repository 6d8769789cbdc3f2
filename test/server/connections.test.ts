import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { removeDir, startTestServer } from '../helpers/server.js';
import { rawPost } from '../helpers/http.js';

test(
  'issue 15 §4: maxConnections caps the sockets that may hold ' + 'partial headers; the collector keeps answering',
  async () => {
    const server = await startTestServer({ maxConnections: 200 });
    const sockets: Socket[] = [];
    try {
      const partial = `GET /public/p.gif HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(60 * 1024)}`;
      let closedByServer = 0;
      await Promise.all(
        Array.from(
          { length: 400 },
          () =>
            new Promise<void>((resolve) => {
              const s = connect(server.port, '127.0.0.1', () => {
                s.write(partial);
                resolve();
              });
              s.on('error', () => resolve());
              s.on('close', () => {
                closedByServer++;
                resolve();
              });
              sockets.push(s);
            }),
        ),
      );
      await new Promise((r) => setTimeout(r, 500));
      const open = await new Promise<number>((resolve, reject) =>
        server.collector.server.getConnections((e, n) => (e ? reject(e) : resolve(n))),
      );
      assert.ok(open <= 200, `${open} connections held`);
      assert.ok(closedByServer >= 200, `${closedByServer} sockets past the cap were closed`);
      // Past the cap a new client is refused too; once sockets go, it is served again.
      for (const s of sockets) s.destroy();
      await new Promise((r) => setTimeout(r, 200));
      const res = await fetch(`${server.url}/isAlive`);
      assert.equal(res.status, 200);
      await res.text();
    } finally {
      for (const s of sockets) s.destroy();
      await server.stop();
      removeDir(server.root);
    }
  },
);

test(
  'issue 15 §4: pixel form bodies count in the in-flight body budget ' +
    '(api.maxInFlightBytes) shared with the JSON API',
  async () => {
    const server = await startTestServer({ 'api.maxInFlightBytes': 100_000, 'pixel.maxBodySize': 65_536 });
    try {
      // A slow 60 KB pixel POST holds the budget; a second one arriving meanwhile passes it and gets 503.
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      async function* slowBody(): AsyncGenerator<Buffer> {
        yield Buffer.from(`x=${'a'.repeat(59_998)}`);
        await held;
      }
      const first = rawPost(
        `${server.url}/public/p.gif`,
        { 'Content-Type': 'text/plain', 'Content-Length': String(60_000 + 10) },
        slowBody(),
      );
      await new Promise((r) => setTimeout(r, 300));
      const second = await rawPost(
        `${server.url}/public/p.gif`,
        { 'Content-Type': 'text/plain' },
        Buffer.from(`y=${'b'.repeat(59_998)}`),
      );
      assert.equal(second.status, 503, second.body);
      assert.equal(second.headers['x-wt1-error'], 'WT1_ERR_OVERLOADED');
      assert.equal(second.headers['retry-after'], '1');
      assert.match(second.body, /api\.maxInFlightBytes/);
      const api = await fetch(`${server.url}/public/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ events: [{ type: 'e', page: 'p'.repeat(50_000) }] }),
      });
      assert.equal(api.status, 503, 'the JSON API shares the same budget');
      await api.text();
      release();
      await first.catch(() => undefined);
      const alone = await rawPost(
        `${server.url}/public/p.gif`,
        { 'Content-Type': 'text/plain' },
        Buffer.from(`y=${'b'.repeat(59_998)}`),
      );
      assert.equal(alone.status, 200, 'once released, a body passes again');
    } finally {
      await server.stop();
      removeDir(server.root);
    }
  },
);
