import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { typeCounter } from './fixtures/type-counter.js';
import { withHandlers } from '../../src/handlers/registry.js';
import { removeDir, startTestServer } from '../helpers/server.js';

const repo = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

/** The code of a file without its import lines (the docs import from src/handlers/, the fixture from test/). */
const withoutImports = (code: string): string =>
  code
    .split('\n')
    .filter((l) => !l.startsWith('import '))
    .join('\n')
    .trim();

test('the worked example of docs/handlers.md is the fixture this test runs, line for line', () => {
  const docs = readFileSync(repo('docs/handlers.md'), 'utf8');
  const block = /```ts\n(\/\/ src\/handlers\/type-counter\.ts\n[\s\S]*?)```/.exec(docs);
  assert.ok(block, 'docs/handlers.md has a ```ts block starting with // src/handlers/type-counter.ts');
  const fixture = readFileSync(repo('test/handlers/fixtures/type-counter.ts'), 'utf8');
  assert.equal(
    withoutImports(block[1].replace(/^\/\/ src\/handlers\/type-counter\.ts\n/, '')),
    withoutImports(fixture),
  );
  assert.match(block[1], /^import type \{ HandlerDescriptor \} from '\.\/handler\.js';$/m);
});

test(
  'the example handler runs in a real collector: config keys, ' + '/internal/handlers/NAME and /internal/live',
  async () => {
    const server = await startTestServer(
      { 'handler.types.class': 'type-counter', 'handler.types.params.maxTypes': '2' },
      { handlers: withHandlers(typeCounter) },
    );
    try {
      for (const type of ['page', 'page', 'event', 'download', 'page']) {
        const res = await fetch(`${server.url}/public/p.gif?__wt1ty=${type}`);
        await res.arrayBuffer();
      }
      await server.collector.context.dispatcher.drain();
      const expected = { eventsByType: { page: 3, event: 1, other: 1 } };
      assert.deepEqual(await (await fetch(`${server.url}/internal/handlers/types`)).json(), expected);
      const live = (await (await fetch(`${server.url}/internal/live`)).json()) as {
        handlers: Record<string, unknown>;
        processors: Record<string, { processedEvents: number }>;
      };
      assert.deepEqual(live.handlers.types, expected);
      assert.equal(live.processors.types.processedEvents, 5);
    } finally {
      await server.stop();
      removeDir(server.root);
    }
  },
);
