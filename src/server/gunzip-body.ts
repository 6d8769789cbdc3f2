import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { createGunzip, gunzip as gunzipCallback, gunzipSync } from 'node:zlib';
import { Wt1Error } from '../errors.js';
import { readBody } from './body.js';
import type { BodyReservation } from './body-budget.js';

const gunzipAsync = promisify(gunzipCallback);

/** Bodies declared at most this large are read whole, then gunzipped in one call (no per-chunk thread-pool trips). */
const SMALL_BODY = 64 * 1024;
/** Gunzipped synchronously up to this many bytes (about a millisecond of CPU); past it, in zlib's thread pool. */
const SYNC_OUTPUT_LIMIT = 1024 * 1024;
const ZLIB_CHUNK = 64 * 1024;

export interface GunzipLimits {
  /** Largest body as sent (compressed), in bytes. */
  readonly maxBodySize: number;
  /** Largest body once gunzipped, in bytes. */
  readonly maxDecompressedSize: number;
  readonly timeoutMs: number;
  /** The request's share of the bytes of all bodies in flight (compressed and gunzipped). */
  readonly reservation?: BodyReservation;
}

/**
 * Reads a gzipped request body and gunzips it, refusing (413) as soon as either the compressed
 * bytes or the gunzipped bytes pass their limit. The expansion is never buffered past the limit:
 * zlib stops (and is destroyed) on the first output chunk over it, so a gzip bomb costs at most
 * `maxDecompressedSize` plus one zlib chunk of memory. Bodies declared small are read whole first
 * (see readSmallGunzippedBody: 3-10x cheaper per request); others are gunzipped as they stream in.
 * A client that stalls is timed out (408); a broken gzip stream gives 400.
 */
export function readGunzippedBody(req: IncomingMessage, limits: GunzipLimits): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) <= SMALL_BODY) return readSmallGunzippedBody(req, limits);
  return streamGunzippedBody(req, limits);
}

/**
 * The common case, a batch of a few KB: read it whole (within the compressed limit), then gunzip it
 * in one synchronous call capped at SYNC_OUTPUT_LIMIT; a body that expands further (a big batch, or
 * a bomb) is gunzipped again in the thread pool, zlib stopping at the gunzipped limit.
 */
async function readSmallGunzippedBody(req: IncomingMessage, limits: GunzipLimits): Promise<Buffer> {
  return gunzipBody(await readBody(req, limits.maxBodySize, limits.timeoutMs, limits.reservation), limits);
}

/**
 * Gunzips a body already read (within the compressed limit): synchronously up to SYNC_OUTPUT_LIMIT,
 * past it in the thread pool, stopping at the gunzipped limit. Also for trackers that send gzip
 * without saying so in Content-Encoding (posthog-js).
 */
export async function gunzipBody(compressed: Buffer, limits: GunzipLimits): Promise<Buffer> {
  const syncLimit = Math.min(limits.maxDecompressedSize, SYNC_OUTPUT_LIMIT);
  let inflated: Buffer | undefined;
  try {
    inflated = gunzipSync(compressed, { maxOutputLength: syncLimit, chunkSize: ZLIB_CHUNK });
  } catch (error) {
    if (!isTooLarge(error) || syncLimit === limits.maxDecompressedSize) throw gunzipError(error, limits);
  }
  if (inflated === undefined) {
    try {
      inflated = await gunzipAsync(compressed, { maxOutputLength: limits.maxDecompressedSize, chunkSize: ZLIB_CHUNK });
    } catch (error) {
      throw gunzipError(error, limits);
    }
  }
  if (limits.reservation && !limits.reservation.take(inflated.length)) throw limits.reservation.refusal();
  return inflated;
}

function isTooLarge(error: unknown): boolean {
  return (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
}

function gunzipError(error: unknown, limits: GunzipLimits): Wt1Error {
  if (isTooLarge(error)) return inflatedTooLarge(limits.maxDecompressedSize);
  return new Wt1Error('WT1_ERR_BAD_REQUEST', `the body is not valid gzip: ${(error as Error).message}`);
}

function inflatedTooLarge(limit: number): Wt1Error {
  return new Wt1Error('WT1_ERR_BODY_TOO_LARGE', `the gunzipped body is larger than the limit of ${limit} bytes`);
}

/** Larger or chunked bodies: gunzipped as they arrive, stopping at whichever limit comes first. */
function streamGunzippedBody(req: IncomingMessage, limits: GunzipLimits): Promise<Buffer> {
  const { maxBodySize, maxDecompressedSize, timeoutMs, reservation } = limits;
  const tooLarge = (): Wt1Error =>
    new Wt1Error('WT1_ERR_BODY_TOO_LARGE', `the body is larger than the limit of ${maxBodySize} bytes`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBodySize) return Promise.reject(tooLarge());

  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: ZLIB_CHUNK });
    const chunks: Buffer[] = [];
    let received = 0;
    let inflated = 0;
    let done = false;

    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      gunzip.destroy();
      if (error) {
        // Drain what the client still sends, without keeping it: the answer goes out at once.
        req.resume();
        reject(error);
      } else {
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, inflated));
      }
    };

    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBodySize) return finish(tooLarge());
      if (!gunzip.write(chunk)) {
        req.pause();
        gunzip.once('drain', () => {
          if (!done) req.resume();
        });
      }
    };

    gunzip.on('data', (chunk: Buffer) => {
      if (done) return;
      inflated += chunk.length;
      if (inflated > maxDecompressedSize) {
        finish(inflatedTooLarge(maxDecompressedSize));
      } else if (reservation && !reservation.take(chunk.length)) {
        finish(reservation.refusal());
      } else {
        chunks.push(chunk);
      }
    });
    gunzip.on('end', () => finish());
    gunzip.on('error', (e) => finish(new Wt1Error('WT1_ERR_BAD_REQUEST', `the body is not valid gzip: ${e.message}`)));

    const timer = setTimeout(
      () => finish(new Wt1Error('WT1_ERR_BODY_TIMEOUT', `the body was not received within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    req.on('data', onData);
    req.on('end', () => {
      if (!done) gunzip.end();
    });
    req.on('error', (e) => finish(e));
    req.on('aborted', () => finish(new Wt1Error('WT1_ERR_BAD_REQUEST', 'the client aborted the request')));
  });
}
