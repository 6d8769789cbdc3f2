import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { validateConfig } from '../../src/server/plugins.js';
import type { RawValue } from '../../src/config/spec.js';
import { createEngine } from '../../src/storage/registry.js';
import { silentLogger } from '../../src/log.js';
import { gcsEngine, s3Engine } from '../../src/storage/s3.js';
import type { StorageEngine } from '../../src/storage/engine.js';
import { getObject, listKeys, type S3TestServer } from './s3-server.js';

/** Config keys for the s3 engine against the test server, spooling in `spool`, with short retries. */
export function s3Keys(
  server: S3TestServer,
  spool: string,
  extra: Record<string, RawValue> = {},
): Record<string, RawValue> {
  return {
    'storage.class': 's3',
    'storage.params.bucketName': server.bucket,
    'storage.params.accessKey': server.accessKeyId,
    'storage.params.secretKey': server.secretAccessKey,
    'storage.params.endpoint': server.endpoint,
    'storage.params.forcePathStyle': 'true',
    'storage.params.tmpFolder': spool,
    'storage.params.retryMinDelay': '0.02',
    'storage.params.retryMaxDelay': '0.1',
    'storage.params.requestTimeout': '5',
    ...extra,
  };
}

/** The s3 (or gcs, from `storage.class`) engine of these config keys, not opened. */
export function createS3Engine(keys: Record<string, RawValue>, now: () => number = Date.now): StorageEngine {
  const config = validateConfig(new Map(Object.entries(keys)));
  return createEngine(config.storage.engine === 'gcs' ? gcsEngine : s3Engine, config, {
    logger: silentLogger(),
    instanceId: config.instanceId || 'test-instance',
    now,
  });
}

export interface StoredLogObject {
  readonly key: string;
  readonly header: string;
  readonly lines: string[];
}

/** Every object under the prefix, gunzipped: its key, header line and lines. */
export async function readObjects(server: S3TestServer, prefix = ''): Promise<StoredLogObject[]> {
  const out = [];
  for (const key of await listKeys(server, prefix)) {
    const text = gunzipSync(await getObject(server, key)).toString('utf8');
    assert.ok(text.endsWith('\n'), `${key} ends with a newline`);
    const [header, ...lines] = text.slice(0, -1).split('\n');
    out.push({ key, header: header + '\n', lines });
  }
  return out;
}

/** The visitor ids of an object's lines (4th column), in file order. */
export function visitorsOf(object: StoredLogObject): string[] {
  return object.lines.map((l) => l.split('\t')[3]);
}
