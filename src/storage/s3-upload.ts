import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { publishedName } from '../logfile/naming.js';
import { md5Of, type SpoolFile } from './spool.js';

/** The AWS SDK module, loaded when an object-storage engine opens (see s3.ts). */
export type S3Sdk = typeof import('@aws-sdk/client-s3');

/** Object metadata (`x-amz-meta-wt1-spool-id`) naming the spool file an object was uploaded from. */
const SPOOL_ID_META = 'wt1-spool-id';

/** `PREFIX/` with exactly one trailing slash, or empty. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? trimmed + '/' : '';
}

/** The object key of a spooled file: `PREFIX/tracker/YYYY/MM/DD/HH/mm-ss-INSTANCE[-N].log.gz`. */
export function objectKey(prefix: string, file: SpoolFile, n: number): string {
  return prefix + publishedName(file.time, file.instanceId, n).split(path.sep).join('/');
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * Uploads spooled files whole, never replacing an existing object: the first free key among
 * `...-INSTANCE.log.gz`, `...-INSTANCE-1.log.gz`, ... (checked with HeadObject, and enforced with
 * `If-None-Match: *` where the server supports it). An object that already holds this very file
 * (an earlier attempt whose answer was lost) counts as uploaded, so a retry never makes a copy:
 * recognized by the spool id in its metadata or by its ETag equal to the file's MD5.
 */
export class S3Uploader {
  private conditionalPut: boolean;

  constructor(
    private readonly sdk: Pick<S3Sdk, 'HeadObjectCommand' | 'PutObjectCommand'>,
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    options: { conditionalPut: boolean },
  ) {
    this.conditionalPut = options.conditionalPut;
  }

  /** Uploads one file; resolves with its key. Throws when the server cannot be reached or refuses. */
  async upload(file: SpoolFile, signal: AbortSignal): Promise<string> {
    const md5 = await md5Of(file.path);
    const etag = `"${md5.toString('hex')}"`;
    for (let n = 0; n < 10_000; n++) {
      const key = objectKey(this.prefix, file, n);
      const existing = await this.head(key, signal);
      if (existing) {
        if (existing.spoolId === file.id || existing.etag === etag) return key;
        continue;
      }
      try {
        await this.client.send(
          new this.sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: createReadStream(file.path),
            ContentLength: file.bytes,
            ContentMD5: md5.toString('base64'),
            ContentType: 'application/gzip',
            Metadata: { [SPOOL_ID_META]: file.id, 'wt1-events': String(file.lines) },
            IfNoneMatch: this.conditionalPut ? '*' : undefined,
          }),
          { abortSignal: signal },
        );
        return key;
      } catch (error) {
        const status = httpStatus(error);
        if (status === 412 || status === 409) continue; // taken between our HEAD and PUT
        if (this.conditionalPut && (status === 501 || (error as Error).name === 'NotImplemented')) {
          this.conditionalPut = false; // this server does not do conditional writes; HEAD alone guards
          n--;
          continue;
        }
        throw error;
      }
    }
    throw new Error(`no free object key for ${file.path}`);
  }

  private async head(key: string, signal: AbortSignal): Promise<{ spoolId?: string; etag?: string } | undefined> {
    try {
      const head = await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: signal,
      });
      return { spoolId: head.Metadata?.[SPOOL_ID_META], etag: head.ETag };
    } catch (error) {
      if (httpStatus(error) === 404 || (error as Error).name === 'NotFound') return undefined;
      throw error;
    }
  }
}
