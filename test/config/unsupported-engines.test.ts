import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/server/plugins.js';
import { ConfigError } from '../../src/errors.js';

for (const className of ['com.dataiku.wt1.storage.FlumeSourceProcessor']) {
  test(`config: ${className.split('.').pop()} stops the start and points to the JetStream engine`, () => {
    assert.throws(
      () =>
        validateConfig(
          new Map([
            ['storage.class', className],
            ['storage.params.topic', 'events'],
          ]),
        ),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.code, 'WT1_ERR_CONFIG_INVALID');
        const problem = e.problems.find((p) => p.startsWith('storage.class:'));
        assert.ok(problem, e.problems.join('\n'));
        assert.ok(problem.includes(className), problem);
        assert.ok(problem.includes('storage.class=nats'), problem);
        return true;
      },
    );
  });
}

test('config: the object-storage and stream engines answer to their names and WT1 class names', () => {
  const s3 = validateConfig(
    new Map([
      ['storage.class', 'com.dataiku.wt1.storage.S3StorageProcessor'],
      ['storage.params.bucketName', 'b'],
    ]),
  );
  assert.equal(s3.storage.engine, 's3');
  assert.equal(s3.storage.params.endpoint, '');
  const gcs = validateConfig(
    new Map([
      ['storage.class', 'com.dataiku.wt1.storage.GCSGAEStorageProcessor'],
      ['storage.params.bucketName', 'b'],
    ]),
  );
  assert.equal(gcs.storage.engine, 'gcs');
  assert.equal(gcs.storage.params.endpoint, 'https://storage.googleapis.com');
  assert.equal(gcs.storage.params.region, 'auto');
  assert.equal(validateConfig(new Map([['storage.class', 'nats']])).storage.engine, 'nats');
  const kafka = validateConfig(
    new Map([
      ['storage.class', 'com.dataiku.wt1.storage.KafkaStorageProcessor'],
      ['storage.params.brokers', 'k1:9092,k2:9092'],
    ]),
  );
  assert.equal(kafka.storage.engine, 'kafka');
  assert.deepEqual(kafka.storage.params.brokers, ['k1:9092', 'k2:9092']);
  assert.equal(kafka.storage.params.acks, '0', "WT1's default");
  assert.throws(
    () => validateConfig(new Map([['storage.class', 's3']])),
    (e: unknown) =>
      e instanceof ConfigError && e.problems.some((p) => p.startsWith('storage.params.bucketName is required')),
  );
});
