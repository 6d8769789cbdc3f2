import { request, type OutgoingHttpHeaders } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * A POST with node:http, for bodies fetch cannot send as-is: `body` may be a Buffer or a list of
 * chunks written one by one (chunked when no Content-Length is given). Resolves with the answer
 * even when the server answers before reading the whole body and closes the connection (an EPIPE
 * or reset after the answer is not an error here).
 */
export function rawPost(
  url: string,
  headers: OutgoingHttpHeaders,
  body: Buffer | Buffer[] | AsyncIterable<Buffer>,
  timeoutMs = 15_000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', headers, agent: false });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    req.on('error', (e) => {
      if (!answered) {
        clearTimeout(timer);
        reject(e);
      }
    });
    const write = async (): Promise<void> => {
      if (Buffer.isBuffer(body)) {
        req.end(body);
        return;
      }
      for await (const chunk of body) {
        if (answered || req.destroyed) return;
        if (!req.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              req.off('drain', done);
              req.off('close', done);
              resolve();
            };
            req.on('drain', done);
            req.on('close', done);
          });
        }
      }
      if (!req.destroyed) req.end();
    };
    write().catch(() => {
      /* the server hung up: the answer (or the error) is reported above */
    });
  });
}
