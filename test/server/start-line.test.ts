import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/server/plugins.js';
import { startLine } from '../../src/server/start-line.js';

const facts = { port: 8080, engine: 'fs', storageThread: true, instanceId: 'i1' };

test('start line: the pixel and events URLs follow paths.* when they are renamed', () => {
  const config = validateConfig(
    new Map([
      ['host', '127.0.0.1'],
      ['paths.pixel', '/i.gif'],
      ['paths.events', '/ingest'],
    ]),
  );
  const { fields, message } = startLine(config, facts);
  assert.equal(fields.pixel, 'http://127.0.0.1:8080/i.gif');
  assert.equal(fields.events, 'http://127.0.0.1:8080/ingest');
  assert.match(message, /send hits to \/i\.gif or \/ingest;/);
});

test('start line: WT1 paths by default', () => {
  const { fields } = startLine(validateConfig(new Map([['host', '127.0.0.1']])), facts);
  assert.equal(fields.pixel, 'http://127.0.0.1:8080/public/p.gif');
  assert.equal(fields.events, 'http://127.0.0.1:8080/public/events');
});
