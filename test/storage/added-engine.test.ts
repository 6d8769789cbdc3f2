import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_PLUGINS, validateConfig } from '../../src/server/plugins.js';
import { ENGINES, withEngines } from '../../src/storage/registry.js';
import { ConfigError } from '../../src/errors.js';
import type { RawValue } from '../../src/config/spec.js';
import { MemoryStorage, memoryEngine } from './fixtures/memory-engine.js';
import { removeDir, startTestServer } from '../helpers/server.js';
import { pixelHit } from '../helpers/pixel-hit.js';

// Issue 14's "adding a storage engine stays one file plus one registry line": an engine written as
// one file (fixtures/memory-engine.ts) and registered in one line (withEngines, the embedder's twin
// of the ENGINES list) is validated, created, fed, flushed and shown, with nothing else of wt1 touched.

const engines = withEngines(memoryEngine);

test('an engine in one file plus one registry line: params validated, events written, flushed and shown', async () => {
  const server = await startTestServer({ 'storage.class': 'memory', 'storage.params.keep': '2' }, { engines });
  try {
    for (const visitor of ['v1', 'v2', 'v3']) await pixelHit(server.url, `__wt1ty=page&__wt1vic=${visitor}`);
    const api = await fetch(`${server.url}/public/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId: 'v4', events: [{ type: 'event' }] }),
    });
    assert.equal(api.status, 200, await api.text());
    await server.collector.context.dispatcher.drain();

    const [storage] = server.collector.context.dispatcher.processors;
    assert.equal(storage.kind, 'storage');
    if (storage.kind !== 'storage') return;
    assert.ok(storage.engine instanceof MemoryStorage, 'the added engine runs here (not on the storage thread)');
    assert.deepEqual(
      storage.engine.events.map((e) => e.visitorId),
      ['v3', 'v4'],
      'its param reached it: the newest 2 kept',
    );

    const flush = await fetch(`${server.url}/internal/flush`, { method: 'POST' });
    assert.equal(flush.status, 200);
    const status = server.collector.status();
    const shown = status.processors.find((p) => p.kind === 'storage');
    assert.ok(shown?.kind === 'storage');
    assert.equal(shown.engine, 'memory');
    assert.deepEqual(shown.stats, { keptEvents: 2, flushes: 1 });
    assert.equal(shown.counters.written, 4);
    assert.equal(status.ready, true);
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});

test('the added engine is checked like the shipped ones, and the shipped list is left as it was', () => {
  const plugins = { ...BUILTIN_PLUGINS, engines };
  const problems = (keys: Record<string, RawValue>, with_ = plugins): string => {
    try {
      validateConfig(new Map(Object.entries(keys)), with_);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.message;
    }
    return '';
  };
  assert.equal(problems({ 'storage.class': 'memory' }), '');
  assert.match(problems({ 'storage.class': 'memory', 'storage.params.keep': '0' }), /storage\.params\.keep/);
  assert.match(problems({ 'storage.class': 'memory', 'storage.params.kep': '3' }), /did you mean .*keep/);
  // Registered in a new list only: the shipped registry does not know it.
  assert.equal(
    ENGINES.some((e) => e.name === 'memory'),
    false,
  );
  assert.match(
    problems({ 'storage.class': 'memory' }, BUILTIN_PLUGINS),
    /storage\.class: "memory" is not a known engine/,
  );
  assert.throws(() => withEngines({ ...memoryEngine, name: 'fs' }), /an engine named "fs" is already registered/);
});
