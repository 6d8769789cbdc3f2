import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { mediaType, readBody } from '../../src/server/body.js';
import { BodyBudget } from '../../src/server/body-budget.js';
import { Wt1Error } from '../../src/errors.js';
import { fakeRequest } from '../helpers/fake-request.js';

const LIMIT = 100;
const TIMEOUT = 10_000;

async function rejection(promise: Promise<unknown>): Promise<Wt1Error> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof Wt1Error, `a Wt1Error, got ${String(error)}`);
  return error;
}

test('readBody: the chunks of a body come back as one buffer, Content-Length or chunked', async () => {
  const declared = fakeRequest({ 'content-length': '11' });
  const read = readBody(declared, LIMIT, TIMEOUT);
  declared.send('hello', ' ', 'world').end();
  assert.equal((await read).toString(), 'hello world');

  const chunked = fakeRequest();
  const readChunked = readBody(chunked, LIMIT, TIMEOUT);
  chunked.send('a'.repeat(60), 'b'.repeat(40)).end();
  assert.equal((await readChunked).toString(), 'a'.repeat(60) + 'b'.repeat(40));

  const empty = fakeRequest();
  const readEmpty = readBody(empty, LIMIT, TIMEOUT);
  empty.end();
  assert.equal((await readEmpty).length, 0);
});

test('readBody: a declared Content-Length over the limit is refused (413) before a byte is read', async () => {
  const req = fakeRequest({ 'content-length': String(LIMIT + 1) });
  const error = await rejection(readBody(req, LIMIT, TIMEOUT));
  assert.equal(error.code, 'WT1_ERR_BODY_TOO_LARGE');
  assert.equal(error.status, 413);
  assert.match(error.message, /limit of 100 bytes/);
  assert.equal(req.dataListeners(), 0, 'nothing listens to the body');
});

test(
  'readBody: a body streamed past the limit is refused at the ' + 'chunk that passes it, and the rest drained',
  async () => {
    const req = fakeRequest();
    const read = readBody(req, LIMIT, TIMEOUT);
    req.send('x'.repeat(LIMIT));
    req.send('y');
    const error = await rejection(read);
    assert.equal(error.code, 'WT1_ERR_BODY_TOO_LARGE');
    assert.equal(req.dataListeners(), 0, 'the reader let go of the body');
    assert.equal(req.readableFlowing, true, 'what the client still sends is drained, not buffered');
    req.send('z'.repeat(1000)).end();
  },
);

test('readBody: exactly the limit is accepted', async () => {
  const req = fakeRequest({ 'content-length': String(LIMIT) });
  const read = readBody(req, LIMIT, TIMEOUT);
  req.send('x'.repeat(LIMIT)).end();
  assert.equal((await read).length, LIMIT);
});

test('readBody: a client that stalls is timed out (408), naming the timeout', async () => {
  const req = fakeRequest();
  const read = readBody(req, LIMIT, 30);
  req.send('partial');
  const error = await rejection(read);
  assert.equal(error.code, 'WT1_ERR_BODY_TIMEOUT');
  assert.equal(error.status, 408);
  assert.match(error.message, /0\.03 s/);
});

test('readBody: an aborted request is a 400, a stream error is passed on as it is', async () => {
  const aborted = fakeRequest();
  const read = readBody(aborted, LIMIT, TIMEOUT);
  aborted.send('par');
  aborted.emit('aborted');
  const error = await rejection(read);
  assert.equal(error.code, 'WT1_ERR_BAD_REQUEST');
  assert.match(error.message, /aborted/);

  const broken = fakeRequest();
  const readBroken = readBody(broken, LIMIT, TIMEOUT);
  const cause = new Error('socket hang up');
  broken.destroy(cause);
  await assert.rejects(readBroken, (e) => e === cause);
});

test(
  'readBody: with a reservation, bytes are taken from the ' + 'shared budget; past it, 503 and nothing kept',
  async () => {
    const budget = new BodyBudget(150);
    const other = budget.reserve();
    assert.ok(other.take(100), 'another request holds 100 of the 150 bytes');

    const mine = budget.reserve();
    const req = fakeRequest();
    const read = readBody(req, LIMIT, TIMEOUT, mine);
    req.send('a'.repeat(40), 'b'.repeat(40));
    const error = await rejection(read);
    assert.equal(error.code, 'WT1_ERR_OVERLOADED');
    assert.equal(error.status, 503);

    // Once the other request is done, the same body fits.
    other.release();
    mine.release();
    const again = fakeRequest();
    const readAgain = readBody(again, LIMIT, TIMEOUT, budget.reserve());
    again.send('a'.repeat(40), 'b'.repeat(40)).end();
    assert.equal((await readAgain).length, 80);
  },
);

test('mediaType: lower-cased, without parameters or spaces; empty when absent', () => {
  const of = (contentType?: string): string =>
    mediaType({ headers: contentType === undefined ? {} : { 'content-type': contentType } } as IncomingMessage);
  assert.equal(of('Application/JSON; charset=UTF-8'), 'application/json');
  assert.equal(of('  text/plain  '), 'text/plain');
  assert.equal(of('application/x-www-form-urlencoded;charset=utf-8'), 'application/x-www-form-urlencoded');
  assert.equal(of(''), '');
  assert.equal(of(undefined), '');
});
