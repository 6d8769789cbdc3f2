import type { IncomingMessage } from 'node:http';
import { Wt1Error } from '../errors.js';
import type { BodyReservation } from './body-budget.js';

/**
 * Reads a whole request body, refusing (413) past `limit` bytes without buffering the rest and
 * timing out (408) a client that stalls. Content-Length is checked first, so an honest oversized
 * request is refused before a byte of it is read. With a `reservation`, the bytes are taken from
 * a budget shared by all requests (503 when it is spent).
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number,
  reservation?: BodyReservation,
): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(
      new Wt1Error('WT1_ERR_BODY_TOO_LARGE', `the body is larger than the limit of ${limit} bytes`),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (error) {
        // Stop reading: the connection cannot be reused for a half-read body.
        req.resume();
        reject(error);
      } else {
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit)
        finish(new Wt1Error('WT1_ERR_BODY_TOO_LARGE', `the body is larger than the limit of ${limit} bytes`));
      else if (reservation && !reservation.take(chunk.length)) finish(reservation.refusal());
      else chunks.push(chunk);
    };
    const timer = setTimeout(
      () => finish(new Wt1Error('WT1_ERR_BODY_TIMEOUT', `the body was not received within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    req.on('data', onData);
    req.on('end', () => finish());
    req.on('error', (e) => finish(e));
    req.on('aborted', () => finish(new Wt1Error('WT1_ERR_BAD_REQUEST', 'the client aborted the request')));
  });
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(req: IncomingMessage): string {
  const header = req.headers['content-type'];
  if (!header) return '';
  const semi = header.indexOf(';');
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}
