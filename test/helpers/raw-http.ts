import { connect } from 'node:net';

/**
 * Sends raw bytes to 127.0.0.1:port (for requests no HTTP client would send: invalid bytes,
 * broken framing) and resolves with everything the server answered once it closes the connection,
 * or after `timeoutMs` (then `timedOut` is true and the socket is destroyed).
 */
export function rawRequest(
  port: number,
  bytes: Buffer | string,
  timeoutMs = 5000,
): Promise<{ response: Buffer; timedOut: boolean; status: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A server that answers then resets the connection is fine: keep what was answered.
      if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') {
        clearTimeout(timer);
        reject(e);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const response = Buffer.concat(chunks);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(response.subarray(0, 16).toString('latin1'));
      resolve({ response, timedOut, status: m ? Number(m[1]) : 0 });
    });
  });
}
