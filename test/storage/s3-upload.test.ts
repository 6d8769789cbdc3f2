import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as sdk from '@aws-sdk/client-s3';
import { S3Uploader, normalizePrefix, objectKey } from '../../src/storage/s3-upload.js';
import type { SpoolFile } from '../../src/storage/spool.js';

// S3Uploader against the real AWS SDK and a small S3-protocol server scripted by each test: it
// reaches what s3rver (test/storage/s3.test.ts) cannot, a conditional PUT refused (412, another
// writer got the key between HEAD and PUT) and a server without conditional writes (501).

interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly meta: Record<string, string>;
}
interface Recorded {
  readonly method: string;
  readonly key: string;
  readonly headers: IncomingMessage['headers'];
}

const BUCKET = 'b';
const TIME = Date.UTC(2026, 11, 3, 14, 5, 9);

/** An in-memory bucket speaking enough S3 (HEAD and PUT, path style) for the uploader. */
async function startBucket(options: {
  conditionalWrites?: boolean;
  /** Called before a PUT is handled; answering `res` here replaces the bucket's answer. */
  beforePut?: (key: string, res: ServerResponse) => boolean;
}) {
  const objects = new Map<string, StoredObject>();
  const requests: Recorded[] = [];
  const error = (res: ServerResponse, status: number, code: string): void => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;
    res.writeHead(status, { 'Content-Type': 'application/xml' }).end(xml);
  };
  const server = createServer(async (req, res) => {
    const key = decodeURIComponent((req.url ?? '').split('?')[0].slice(`/${BUCKET}/`.length));
    requests.push({ method: req.method ?? '', key, headers: { ...req.headers } });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const existing = objects.get(key);
    if (req.method === 'HEAD') {
      if (!existing) return void res.writeHead(404).end();
      const meta = Object.fromEntries(Object.entries(existing.meta).map(([k, v]) => [`x-amz-meta-${k}`, v]));
      return void res.writeHead(200, { ETag: existing.etag, 'Content-Length': existing.body.length, ...meta }).end();
    }
    if (req.method !== 'PUT') return error(res, 405, 'MethodNotAllowed');
    if (options.beforePut?.(key, res)) return;
    if (req.headers['if-none-match'] !== undefined) {
      if (options.conditionalWrites === false) return error(res, 501, 'NotImplemented');
      if (objects.has(key)) return error(res, 412, 'PreconditionFailed');
    }
    const body = Buffer.concat(chunks);
    const meta: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('x-amz-meta-')) meta[name.slice('x-amz-meta-'.length)] = String(value);
    }
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    objects.set(key, { body, etag, meta });
    res.writeHead(200, { ETag: etag }).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new sdk.S3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
  return {
    objects,
    requests,
    client,
    puts: () => requests.filter((r) => r.method === 'PUT'),
    uploader: (conditionalPut = true) => new S3Uploader(sdk, client, BUCKET, 'logs/', { conditionalPut }),
    async stop(): Promise<void> {
      client.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A spooled gzip file of a few lines, with its spool id. */
function spoolFile(dir: string, id: string, text = 'header\nline 1\nline 2\n'): SpoolFile {
  const body = gzipSync(text);
  const file = path.join(dir, `${id}.log.gz`);
  writeFileSync(file, body);
  return { path: file, time: TIME, lines: 2, bytes: body.length, instanceId: 'host-a', id };
}

function withFolder(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wt1-s3-upload-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const signal = (): AbortSignal => new AbortController().signal;
const key = (n: number): string => objectKey('logs/', { time: TIME, instanceId: 'host-a' } as SpoolFile, n);
const foreign = (text: string): StoredObject => ({ body: Buffer.from(text), etag: '"0"', meta: {} });

test(
  's3 upload: object keys are ' + 'PREFIX/tracker/YYYY/MM/DD/HH/mm-ss-INSTANCE[-N].log.gz, one slash after the prefix',
  () => {
    assert.equal(normalizePrefix('/a/b//'), 'a/b/');
    assert.equal(normalizePrefix('a'), 'a/');
    assert.equal(normalizePrefix('//'), '');
    assert.equal(normalizePrefix(''), '');
    assert.equal(key(0), 'logs/tracker/2026/12/03/14/05-09-host-a.log.gz');
    assert.equal(key(2), 'logs/tracker/2026/12/03/14/05-09-host-a-2.log.gz');
  },
);

test(
  's3 upload: the file goes whole to the first key, conditional, with its MD5, type and spool id',
  withFolder(async (dir) => {
    const bucket = await startBucket({});
    try {
      const file = spoolFile(dir, 'aa01');
      assert.equal(await bucket.uploader().upload(file, signal()), key(0));
      const [put] = bucket.puts();
      assert.equal(put.headers['if-none-match'], '*');
      assert.equal(put.headers['content-type'], 'application/gzip');
      assert.equal(put.headers['x-amz-meta-wt1-spool-id'], 'aa01');
      assert.equal(put.headers['x-amz-meta-wt1-events'], '2');
      const md5 = createHash('md5').update(gzipSync('header\nline 1\nline 2\n')).digest('base64');
      assert.equal(put.headers['content-md5'], md5);
      assert.deepEqual(bucket.objects.get(key(0))?.body, gzipSync('header\nline 1\nline 2\n'));
    } finally {
      await bucket.stop();
    }
  }),
);

test(
  's3 upload: keys taken by other objects are skipped, never replaced',
  withFolder(async (dir) => {
    const bucket = await startBucket({});
    try {
      bucket.objects.set(key(0), foreign('another instance'));
      bucket.objects.set(key(1), foreign('a second one'));
      assert.equal(await bucket.uploader().upload(spoolFile(dir, 'bb02'), signal()), key(2));
      assert.equal(bucket.objects.get(key(0))?.body.toString(), 'another instance');
      assert.equal(bucket.objects.get(key(1))?.body.toString(), 'a second one');
      assert.equal(bucket.puts().length, 1, 'one PUT, to the free key');
    } finally {
      await bucket.stop();
    }
  }),
);

test(
  's3 upload: a retry finds its own earlier upload (spool id, or same MD5) and makes no copy',
  withFolder(async (dir) => {
    const bucket = await startBucket({});
    try {
      const file = spoolFile(dir, 'cc03');
      const uploader = bucket.uploader();
      assert.equal(await uploader.upload(file, signal()), key(0));
      assert.equal(await uploader.upload(file, signal()), key(0), 'the answer of the first upload was lost');
      assert.equal(bucket.puts().length, 1);

      // Same bytes under another spool id (the metadata was not kept): its ETag is the file's MD5.
      const twin = spoolFile(dir, 'cc04');
      const stored = bucket.objects.get(key(0))!;
      bucket.objects.set(key(0), { ...stored, meta: {} });
      assert.equal(await uploader.upload(twin, signal()), key(0));
      assert.equal(bucket.puts().length, 1);
    } finally {
      await bucket.stop();
    }
  }),
);

test(
  's3 upload: a key taken between HEAD and PUT (412) moves the file to the next key',
  withFolder(async (dir) => {
    let raced = false;
    const bucket = await startBucket({
      beforePut: (k) => {
        if (raced || k !== key(0)) return false;
        raced = true;
        bucket.objects.set(k, foreign('the other writer'));
        return false;
      },
    });
    try {
      assert.equal(await bucket.uploader().upload(spoolFile(dir, 'dd05'), signal()), key(1));
      assert.equal(bucket.objects.get(key(0))?.body.toString(), 'the other writer');
      assert.deepEqual(
        bucket.puts().map((p) => p.key),
        [key(0), key(1)],
      );
    } finally {
      await bucket.stop();
    }
  }),
);

test(
  's3 upload: a server without conditional writes (501) gets the same key again without If-None-Match, and so on after',
  withFolder(async (dir) => {
    const bucket = await startBucket({ conditionalWrites: false });
    try {
      const uploader = bucket.uploader();
      assert.equal(await uploader.upload(spoolFile(dir, 'ee06'), signal()), key(0));
      assert.equal(await uploader.upload(spoolFile(dir, 'ee07', 'header\nother\n'), signal()), key(1));
      assert.deepEqual(
        bucket.puts().map((p) => [p.key, p.headers['if-none-match'] ?? null]),
        [
          [key(0), '*'],
          [key(0), null],
          [key(1), null],
        ],
      );
    } finally {
      await bucket.stop();
    }
  }),
);

test(
  's3 upload: any other refusal (403) reaches the caller, which retries later',
  withFolder(async (dir) => {
    const bucket = await startBucket({
      beforePut: (_k, res) => {
        const xml = '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>';
        res.writeHead(403, { 'Content-Type': 'application/xml' }).end(xml);
        return true;
      },
    });
    try {
      await assert.rejects(bucket.uploader().upload(spoolFile(dir, 'ff08'), signal()), (e: Error) => {
        assert.equal(e.name, 'AccessDenied');
        return true;
      });
      assert.equal(bucket.objects.size, 0);
    } finally {
      await bucket.stop();
    }
  }),
);
