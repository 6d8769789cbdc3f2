import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readGunzippedBody, type GunzipLimits } from '../../src/server/gunzip-body.js';
import { BodyBudget } from '../../src/server/body-budget.js';
import { Wt1Error } from '../../src/errors.js';
import { fakeRequest, type FakeRequest } from '../helpers/fake-request.js';

// readGunzippedBody takes two paths: a body declared at most 64 KiB is read whole then gunzipped
// (synchronously up to 1 MiB of output, in the thread pool past it); a larger or chunked body is
// gunzipped as it streams in. Each case below runs on the paths it concerns.
const MiB = 1024 * 1024;
const limits = (over: Partial<GunzipLimits> = {}): GunzipLimits => ({
  maxBodySize: 256 * 1024,
  maxDecompressedSize: 4 * MiB,
  timeoutMs: 10_000,
  ...over,
});

/** Sends `body` in pieces of `piece` bytes, declared (Content-Length: small path) or chunked (streaming path). */
function send(body: Buffer, how: 'declared' | 'chunked', piece = 1000): FakeRequest {
  const req = fakeRequest(how === 'declared' ? { 'content-length': String(body.length) } : {});
  setImmediate(() => {
    for (let i = 0; i < body.length; i += piece) req.send(body.subarray(i, i + piece));
    req.end();
  });
  return req;
}

async function rejection(promise: Promise<unknown>): Promise<Wt1Error> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof Wt1Error, `a Wt1Error, got ${String(error)}`);
  return error;
}

const json = Buffer.from(JSON.stringify({ events: Array.from({ length: 50 }, (_, i) => ({ type: 'page', n: i })) }));
// 3 MiB of one byte: 3 KiB gzipped, over the 1 MiB synchronous cap, under the 4 MiB limit.
const expanding = Buffer.alloc(3 * MiB, 'a');

for (const how of ['declared', 'chunked'] as const) {
  test(`readGunzippedBody (${how}): gives back the gunzipped bytes`, async () => {
    assert.deepEqual(await readGunzippedBody(send(gzipSync(json), how, 7), limits()), json);
    assert.deepEqual(await readGunzippedBody(send(gzipSync(expanding), how), limits()), expanding);
  });

  test(
    `readGunzippedBody (${how}): a body that gunzips past ` + `maxDecompressedSize is 413, naming the gunzipped limit`,
    async () => {
      for (const max of [100_000, 2 * MiB]) {
        const error = await rejection(
          readGunzippedBody(send(gzipSync(expanding), how), limits({ maxDecompressedSize: max })),
        );
        assert.equal(error.code, 'WT1_ERR_BODY_TOO_LARGE');
        assert.equal(error.status, 413);
        assert.match(error.message, new RegExp(`gunzipped body is larger than the limit of ${max} bytes`));
      }
    },
  );

  test(`readGunzippedBody (${how}): a body that is not gzip, or a truncated one, is 400`, async () => {
    const notGzip = await rejection(readGunzippedBody(send(json, how), limits()));
    assert.equal(notGzip.code, 'WT1_ERR_BAD_REQUEST');
    assert.match(notGzip.message, /not valid gzip/);
    const truncated = gzipSync(json).subarray(0, 40);
    const error = await rejection(readGunzippedBody(send(truncated, how), limits()));
    assert.equal(error.code, 'WT1_ERR_BAD_REQUEST');
  });

  test(`readGunzippedBody (${how}): the gunzipped bytes are taken from the shared budget; past it, 503`, async () => {
    const budget = new BodyBudget(100_000);
    const other = budget.reserve();
    assert.ok(other.take(50_000));
    const error = await rejection(
      readGunzippedBody(send(gzipSync(Buffer.alloc(200_000, 'b')), how), limits({ reservation: budget.reserve() })),
    );
    assert.equal(error.code, 'WT1_ERR_OVERLOADED');
  });
}

test(
  'readGunzippedBody: compressed bytes over maxBodySize are ' + '413, declared (before reading) or streamed',
  async () => {
    const random = gzipSync(Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 251)));
    const max = random.length - 1;
    const declared = fakeRequest({ 'content-length': String(random.length) });
    const declaredError = await rejection(readGunzippedBody(declared, limits({ maxBodySize: max })));
    assert.equal(declaredError.code, 'WT1_ERR_BODY_TOO_LARGE');
    assert.match(declaredError.message, new RegExp(`body is larger than the limit of ${max} bytes`));
    assert.equal(declared.dataListeners(), 0, 'not a byte read');

    const declaredLarge = fakeRequest({ 'content-length': String(100 * 1024) });
    const largeError = await rejection(readGunzippedBody(declaredLarge, limits({ maxBodySize: 80 * 1024 })));
    assert.equal(largeError.code, 'WT1_ERR_BODY_TOO_LARGE', 'a declared size past the small path is refused too');

    const streamed = await rejection(readGunzippedBody(send(random, 'chunked'), limits({ maxBodySize: max })));
    assert.equal(streamed.code, 'WT1_ERR_BODY_TOO_LARGE');
    assert.match(streamed.message, /body is larger than the limit/);
  },
);

test(
  'readGunzippedBody (chunked): a gzip bomb stops at the ' + 'gunzipped limit, before the body has all arrived',
  async () => {
    // 64 MiB of zeros, about 64 KiB gzipped: the limit (1 MiB) is passed within the first pieces.
    const bomb = gzipSync(Buffer.alloc(64 * MiB));
    const req = fakeRequest();
    const read = readGunzippedBody(req, limits({ maxDecompressedSize: MiB }));
    let sent = 0;
    let settled = false;
    read
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        settled = true;
      });
    while (!settled && sent < bomb.length) {
      req.send(bomb.subarray(sent, sent + 1024));
      sent += 1024;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const error = await rejection(read);
    assert.equal(error.code, 'WT1_ERR_BODY_TOO_LARGE');
    assert.ok(sent < bomb.length, `refused after ${sent} of ${bomb.length} compressed bytes`);
    req.send(bomb.subarray(sent)).end();
  },
);

test('readGunzippedBody: a client that stalls is timed out (408), on both paths', async () => {
  for (const headers of [{ 'content-length': '500' }, {}] as Record<string, string>[]) {
    const req = fakeRequest(headers);
    const read = readGunzippedBody(req, limits({ timeoutMs: 30 }));
    req.send(gzipSync(json).subarray(0, 20));
    const error = await rejection(read);
    assert.equal(error.code, 'WT1_ERR_BODY_TIMEOUT');
  }
});
