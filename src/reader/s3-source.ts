import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { isPublishedLogName, timeFromPath, type LogFileRef, type LogSource } from './source.js';

/** How to reach the S3-compatible service (the same settings as the S3 engine's params). */
export interface S3Settings {
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  /** Without keys, the standard AWS credential chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles). */
  readonly accessKey?: string;
  readonly secretKey?: string;
}

/** Splits `s3://bucket/prefix` into bucket and key prefix (`prefix/`, or empty for the whole bucket). */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || m[1] === '') return undefined;
  const prefix = m[2] === '' || m[2].endsWith('/') ? m[2] : m[2] + '/';
  return { bucket: m[1], prefix };
}

export function createS3Client(settings: S3Settings): S3Client {
  const options: S3ClientConfig = {
    region: settings.region || 'us-east-1',
    forcePathStyle: settings.forcePathStyle ?? false,
  };
  if (settings.endpoint) options.endpoint = settings.endpoint;
  if (settings.accessKey && settings.secretKey) options.credentials = { accessKeyId: settings.accessKey, secretAccessKey: settings.secretKey };
  return new S3Client(options);
}

/** The published files under `s3://bucket/prefix` (as the S3 engine uploads them: `PREFIX/tracker/...`). */
export class S3Source implements LogSource {
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(readonly name: string, private readonly client: S3Client) {
    const parsed = parseS3Url(name);
    if (!parsed) throw new Error(`not an s3://bucket/prefix URL: ${name}`);
    this.bucket = parsed.bucket;
    this.prefix = parsed.prefix;
  }

  async list(): Promise<LogFileRef[]> {
    const out: LogFileRef[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
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
      return Readable.fromWeb((body as { transformToWebStream(): import('node:stream/web').ReadableStream }).transformToWebStream());
    }
    throw new Error(`s3://${this.bucket}/${key}: empty answer`);
  }
}
