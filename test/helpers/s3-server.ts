import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './process.js';

/** The part of s3rver (a CommonJS package without types) that the tests use. */
interface S3rverInstance {
  run(): Promise<unknown>;
  close(): Promise<void>;
  httpServer?: Server;
  store: { putObject(object: { content: unknown }): Promise<unknown> };
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

export interface S3TestServer {
  /** `http://127.0.0.1:PORT`, for the `endpoint` param (with forcePathStyle=true). */
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Folder where s3rver keeps the objects (kept across `restart`). */
  readonly directory: string;
  /** Stops answering (connections refused) until `restart`; objects are kept. */
  pause(): Promise<void>;
  /** Starts again on the same port with the same objects. */
  restart(): Promise<void>;
  /** Stops for good and removes its folder. */
  stop(): Promise<void>;
  /**
   * Calls `listener` on every request before s3rver handles it (also after a restart): to record
   * headers, or to break an answer (e.g. replace `res.end` to simulate a lost response).
   */
  onRequest(listener: (req: IncomingMessage, res: ServerResponse) => void): void;
}

/** s3rver accepts these fixed credentials. */
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';

/**
 * Starts a real S3-protocol server (s3rver, from npm) on a free 127.0.0.1 port with a fresh folder
 * and one bucket. Clients need `forcePathStyle: true` and, with AWS SDK v3,
 * `requestChecksumCalculation: 'WHEN_REQUIRED'` (else streamed bodies are stored with their
 * aws-chunked framing).
 */
export async function startS3Server(options: { bucket?: string } = {}): Promise<S3TestServer> {
  let S3rver: S3rverClass;
  try {
    S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  } catch (e) {
    throw new Error(`the s3rver package is missing: run \`npm ci\` (it is a devDependency): ${(e as Error).message}`);
  }
  const bucket = options.bucket ?? 'wt1-test';
  const directory = mkdtempSync(path.join(tmpdir(), 'wt1-s3rver-'));
  const port = await freePort();
  let current: S3rverInstance | undefined;
  const listeners: Array<(req: IncomingMessage, res: ServerResponse) => void> = [];

  const start = async (): Promise<void> => {
    const server = new S3rver({
      address: '127.0.0.1',
      port,
      directory,
      silent: true,
      configureBuckets: [{ name: bucket }],
    });
    storeWholeOrNothing(server);
    await server.run();
    for (const l of listeners) server.httpServer?.prependListener('request', l);
    current = server;
  };
  const halt = async (): Promise<void> => {
    const server = current;
    current = undefined;
    if (!server) return;
    // Keep-alive sockets of the client would hold close() open.
    server.httpServer?.closeAllConnections();
    await server.close();
  };

  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    directory,
    pause: halt,
    restart: async () => {
      await halt();
      await start();
    },
    stop: async () => {
      await halt();
      rmSync(directory, { recursive: true, force: true });
    },
    onRequest: (listener) => {
      listeners.push(listener);
      current?.httpServer?.prependListener('request', listener);
    },
  };
}

/** An SDK v3 client for the test server (path-style, no flexible checksums). Destroy it after use. */
export function testS3Client(server: S3TestServer): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Every key of the bucket (under `prefix`), sorted. */
export async function listKeys(server: S3TestServer, prefix = ''): Promise<string[]> {
  const client = testS3Client(server);
  try {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  } finally {
    client.destroy();
  }
}

/** The bytes of one object. */
export async function getObject(server: S3TestServer, key: string): Promise<Buffer> {
  const client = testS3Client(server);
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } finally {
    client.destroy();
  }
}

/**
 * S3 and GCS store a PUT whole or not at all; s3rver streams the body into the object's file, so a
 * request cut off (the server paused, or the client killed, mid-upload) left a truncated object that
 * no real bucket would hold. Read the whole body first: an aborted one never reaches the store.
 */
function storeWholeOrNothing(server: S3rverInstance): void {
  const store = server.store;
  const putObject = store.putObject.bind(store);
  store.putObject = async (object) => {
    if (object.content instanceof Readable) {
      const chunks: Buffer[] = [];
      for await (const chunk of object.content) chunks.push(chunk as Buffer);
      object.content = Buffer.concat(chunks);
    }
    return putObject(object);
  };
}
