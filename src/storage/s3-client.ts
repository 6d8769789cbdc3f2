import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * The S3 SDK client settings, shared by the object-storage engines and `wt1 cat`. Reads the
 * environment (AWS_REGION) but never changes it: the SDK's Node-version notice is the CLI's
 * business (src/cli/main.ts).
 */

/** How to reach an S3-protocol service: the engine's params, and what `wt1 cat` reads them from. */
export interface S3Connection {
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  /** Without keys, the standard AWS credential chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles). */
  readonly accessKey?: string;
  readonly secretKey?: string;
}

/** The S3 client settings of the engine and of `wt1 cat`, so that both reach a bucket the same way. */
export function s3ClientConfig(p: S3Connection, maxAttempts: number): S3ClientConfig {
  const config: S3ClientConfig = {
    region: p.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    forcePathStyle: p.forcePathStyle ?? false,
    followRegionRedirects: !p.endpoint,
    // Whole-file uploads with Content-MD5; flexible checksums would send aws-chunked bodies,
    // which several S3-protocol servers store as is.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts,
  };
  if (p.endpoint) config.endpoint = p.endpoint;
  if (p.accessKey && p.secretKey) config.credentials = { accessKeyId: p.accessKey, secretAccessKey: p.secretKey };
  return config;
}

/**
 * GCS's create-only precondition (`x-goog-if-generation-match: 0`), on PUT requests only: on a HEAD
 * it would fail on existing keys. `putCommandName` is the SDK's PutObjectCommand name.
 */
export function addGcsCreateOnly(client: S3Client, putCommandName: string): void {
  client.middlewareStack.add(
    (next, ctx) => async (args) => {
      if (ctx.commandName === putCommandName) {
        (args.request as { headers: Record<string, string> }).headers['x-goog-if-generation-match'] = '0';
      }
      return next(args);
    },
    { step: 'build', name: 'wt1GcsCreateOnly' },
  );
}
