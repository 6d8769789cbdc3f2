import type { ParamsOf, SpecTable } from '../config/spec.js';
import { GZIP_LEVEL_PARAM, ROTATION_PARAMS } from './log-file-params.js';

/** Params shared by the S3 and GCS engines; the two differ only in defaults. */
export function objectStorageParams<C extends string>(defaults: {
  endpoint: string;
  region: string;
  conditionalPut: C;
}) {
  return {
    bucketName: {
      type: 'string',
      default: '',
      required: true,
      origin: 'WT1',
      description: 'bucket the files are uploaded to',
    },
    accessKey: {
      type: 'string',
      default: '',
      origin: 'WT1',
      description: 'access key id (GCS: an HMAC key); empty: the standard AWS credential chain',
    },
    secretKey: {
      type: 'string',
      default: '',
      origin: 'WT1',
      description: 'secret access key (GCS: the HMAC secret); empty: the standard AWS credential chain',
    },
    tmpFolder: {
      type: 'string',
      default: './spool',
      origin: 'WT1',
      description:
        'local spool: the file being written and the closed files waiting for upload (keep it across restarts)',
    },
    instanceId: {
      type: 'string',
      default: '',
      origin: 'WT1',
      description: 'added to object keys; default: the top-level instanceId, else host name and process id',
    },
    ...ROTATION_PARAMS,
    gzipLevel: GZIP_LEVEL_PARAM,
    endpoint: {
      type: 'string',
      default: defaults.endpoint,
      origin: 'wt1',
      description: 'S3-protocol endpoint URL (empty: AWS S3)',
    },
    region: {
      type: 'string',
      default: defaults.region,
      origin: 'wt1',
      description: 'region for request signing (empty: AWS_REGION, else us-east-1)',
    },
    forcePathStyle: {
      type: 'bool',
      default: false,
      origin: 'wt1',
      description:
        'address buckets as ENDPOINT/BUCKET/KEY instead of BUCKET.ENDPOINT/KEY (MinIO, most self-hosted servers)',
    },
    prefix: {
      type: 'string',
      default: '',
      origin: 'wt1',
      description: 'key prefix before tracker/... (e.g. wt1/prod)',
    },
    maxSpoolBytes: {
      type: 'int',
      default: 1_073_741_824,
      min: 1,
      origin: 'wt1',
      description: 'when the files waiting for upload reach this size, new events are dropped and counted (dropped)',
    },
    retryMinDelay: {
      type: 'number',
      default: 1,
      min: 0.001,
      origin: 'wt1',
      description: 'seconds before the first retry of a failed upload (doubles at each failure in a row)',
    },
    retryMaxDelay: {
      type: 'number',
      default: 60,
      min: 0.001,
      origin: 'wt1',
      description: 'longest wait between two upload attempts, in seconds',
    },
    requestTimeout: {
      type: 'number',
      default: 60,
      min: 0.1,
      origin: 'wt1',
      description: 'seconds one upload request may take before it is abandoned and retried',
    },
    conditionalPut: {
      type: 'enum',
      default: defaults.conditionalPut,
      values: ['if-none-match', 'x-goog-if-generation-match', 'none'],
      origin: 'wt1',
      description: 'header making an upload fail rather than replace an object (a HEAD check is always made first)',
    },
  } as const satisfies SpecTable;
}

export type ObjectStorageTable = ReturnType<typeof objectStorageParams>;
export type ObjectStorageParams = ParamsOf<ObjectStorageTable>;

/** Checked with the rest of the config, so that it is reported like any config problem. */
export function checkKeys(params: Readonly<Record<string, unknown>>): string[] {
  return Boolean(params.accessKey) === Boolean(params.secretKey)
    ? []
    : [
        'storage.params.accessKey and storage.params.secretKey go together: set both, or neither to use the AWS ' +
          'credential chain',
      ];
}
