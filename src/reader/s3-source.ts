import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { s3ClientConfig, type S3Connection } from '../storage/s3-client.js';
import { isPublishedLogName, timeFromPath } from '../logfile/naming.js';
import type { LogFileRef, LogSource } from './source.js';

/** Splits `s3://bucket/prefix` into bucket and key prefix (`prefix/`, or empty for the whole bucket). */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || m[1] === '') return undefined;
  const prefix = m[2] === '' || m[2].endsWith('/') ? m[2] : m[2] + '/';
  return { bucket: m[1], prefix };
}

export function createS3Client(settings: S3Connection): S3Client {
  return new S3Client(s3ClientConfig(settings, 3)); // the SDK's default retries: no spool to retry from here
}

/** The published files under `s3://bucket/prefix` (as the S3 engine uploads them: `PREFIX/tracker/...`). */
export class S3Source implements LogSource {
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    readonly name: string,
    private readonly client: S3Client,
  ) {
    const parsed = parseS3Url(name);
    if (!parsed) throw new Error(`not an s3://bucket/prefix URL: ${name}`);
    this.bucket = parsed.bucket;
    this.prefix = parsed.prefix;
  }

  async list(): Promise<LogFileRef[]> {
    const out: LogFileRef[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        if (!key || !isPublishedLogName(key.slice(key.lastIndexOf('/') + 1))) continue;
        out.push({
          name: `s3://${this.bucket}/${key}`,
          nameTime: timeFromPath(key),
          open: () => this.open(key),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  private async open(key: string): Promise<Readable> {
    const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const body = answer.Body;
    if (body instanceof Readable) return body;
    if (body && typeof (body as { transformToWebStream?: unknown }).transformToWebStream === 'function') {
      return Readable.fromWeb(
        (body as { transformToWebStream(): import('node:stream/web').ReadableStream }).transformToWebStream(),
      );
    }
    throw new Error(`s3://${this.bucket}/${key}: empty answer`);
  }
}
