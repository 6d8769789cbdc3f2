import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { Wt1Error } from '../errors.js';

export interface GunzipLimits {
  /** Largest body as sent (compressed), in bytes. */
  readonly maxBodySize: number;
  /** Largest body once gunzipped, in bytes. */
  readonly maxDecompressedSize: number;
  readonly timeoutMs: number;
}

/**
 * Reads a gzipped request body and gunzips it as it streams, refusing (413) as soon as either the
 * compressed bytes or the gunzipped bytes pass their limit. The expansion is never buffered past the
 * limit: zlib is fed with backpressure and destroyed on the first output chunk over it, so a gzip
 * bomb costs at most `maxDecompressedSize` plus one zlib chunk of memory. A client that stalls is
 * timed out (408); a broken gzip stream gives 400.
 */
export function readGunzippedBody(req: IncomingMessage, limits: GunzipLimits): Promise<Buffer> {
  const { maxBodySize, maxDecompressedSize, timeoutMs } = limits;
  const tooLarge = (): Wt1Error => new Wt1Error('WT1_ERR_BODY_TOO_LARGE', `the body is larger than the limit of ${maxBodySize} bytes`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBodySize) return Promise.reject(tooLarge());

  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
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
        gunzip.once('drain', () => { if (!done) req.resume(); });
      }
    };

    gunzip.on('data', (chunk: Buffer) => {
      if (done) return;
      inflated += chunk.length;
      if (inflated > maxDecompressedSize) {
        finish(new Wt1Error('WT1_ERR_BODY_TOO_LARGE', `the gunzipped body is larger than the limit of ${maxDecompressedSize} bytes`));
      } else {
        chunks.push(chunk);
      }
    });
    gunzip.on('end', () => finish());
    gunzip.on('error', (e) => finish(new Wt1Error('WT1_ERR_BAD_REQUEST', `the body is not valid gzip: ${e.message}`)));

    const timer = setTimeout(() => finish(new Wt1Error('WT1_ERR_BODY_TIMEOUT', `the body was not received within ${timeoutMs / 1000} s`)), timeoutMs);
    req.on('data', onData);
    req.on('end', () => { if (!done) gunzip.end(); });
    req.on('error', (e) => finish(e));
    req.on('aborted', () => finish(new Wt1Error('WT1_ERR_BAD_REQUEST', 'the client aborted the request')));
  });
}
