import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/server/plugins.js';
import type { RawValue } from '../../src/config/spec.js';
import { ConfigError } from '../../src/errors.js';
import { freePort, runWt1 } from '../helpers/process.js';

// What stops a Kafka collector at start: a bad value (at config load) and no broker to talk to.
test('kafka: a bad brokers or topic value is a config error naming the key and the value', () => {
  for (const [key, value, expected] of [
    ['storage.params.brokers', 'kafka1', /^storage\.params\.brokers: "kafka1" is not host:port/],
    ['storage.params.brokers', 'k1:9092,k2:99999', /^storage\.params\.brokers: "k2:99999" is not host:port/],
    ['storage.params.brokers', 'kafka://k1:9092', /^storage\.params\.brokers: "kafka:\/\/k1:9092" is not host:port/],
    ['storage.params.topic', 'a topic', /^storage\.params\.topic: "a topic" is not a Kafka topic name/],
    ['storage.params.acks', '2', /^storage\.params\.acks: "2" is not one of 0, 1, all, -1/],
  ] as const) {
    assert.throws(
      () =>
        validateConfig(
          new Map<string, RawValue>([
            ['storage.class', 'kafka'],
            ['storage.params.brokers', 'k1:9092'],
            [key, value],
          ]),
        ),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.code, 'WT1_ERR_CONFIG_INVALID');
        assert.equal(e.problems.length, 1, e.problems.join('\n'));
        assert.match(e.problems[0], expected);
        return true;
      },
    );
  }
});

test('kafka: no broker at start stops wt1 serve with WT1_ERR_ENGINE_UNREACHABLE naming the broker', async () => {
  const port = await freePort();
  const { code, stderr } = await runWt1(['serve', '--port', '0', '--host', '127.0.0.1'], {
    env: {
      WT1_STORAGE__CLASS: 'kafka',
      WT1_STORAGE__PARAMS__BROKERS: `127.0.0.1:${port}`,
      WT1_STORAGE__PARAMS__CONNECT_TIMEOUT: '0.5',
    },
  });
  assert.equal(code, 2, stderr);
  assert.match(stderr, /WT1_ERR_ENGINE_UNREACHABLE/);
  assert.match(stderr, new RegExp(`Kafka at 127\\.0\\.0\\.1:${port}`));
});
