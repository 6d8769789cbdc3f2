/**
 * The reference: a bare node:http server answering the same GIF with the same headers, nothing
 * else. Started as its own process by bench/run.ts; prints its port on stdout.
 */
import { createServer } from 'node:http';
import { GIF_HEADERS, TRANSPARENT_GIF } from '../src/server/gif.js';

const server = createServer((_req, res) => {
  res.writeHead(200, GIF_HEADERS as Record<string, string | number>);
  res.end(TRANSPARENT_GIF);
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
