import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { EngineContext, EngineDescriptor, FlushResult, StorageEngine } from './engine.js';
import type { TrackedEvent } from '../event/event.js';
import type { ParamsOf, SpecTable } from '../config/spec.js';
import { GZIP_LEVEL_PARAM, RotatingLog, rotationOptions } from './rotating-log.js';
import { safeInstanceId } from '../logfile/naming.js';
import { recoverLeftovers } from './recovery.js';
import { createFolder } from '../util/make-dir.js';
import { Spool, type SpoolFile } from './spool.js';
import { S3Uploader, normalizePrefix } from './s3-upload.js';
import { Wt1Error } from '../errors.js';
import { FailureStreak } from './failure-streak.js';

/** Params shared by the S3 and GCS engines; the two differ only in defaults. */
function objectStorageParams<C extends string>(defaults: { endpoint: string; region: string; conditionalPut: C }) {
  return {
    bucketName: { type: 'string', default: '', required: true, origin: 'WT1', description: 'bucket the files are uploaded to' },
    accessKey: { type: 'string', default: '', origin: 'WT1', description: 'access key id (GCS: an HMAC key); empty: the standard AWS credential chain' },
    secretKey: { type: 'string', default: '', origin: 'WT1', description: 'secret access key (GCS: the HMAC secret); empty: the standard AWS credential chain' },
    tmpFolder: { type: 'string', default: './spool', origin: 'WT1', description: 'local spool: the file being written and the closed files waiting for upload (keep it across restarts)' },
    instanceId: { type: 'string', default: '', origin: 'WT1', description: 'added to object keys; default: the top-level instanceId, else host name and process id' },
    newFileTriggerSize: { type: 'int', default: 1_048_576, min: 1, origin: 'WT1', description: 'start a new file once this many uncompressed bytes are written' },
    newFileTriggerInterval: { type: 'number', default: 300, min: 0, origin: 'WT1', description: 'start a new file once the open one is this many seconds old (0: never)' },
    gzipLevel: GZIP_LEVEL_PARAM,
    endpoint: { type: 'string', default: defaults.endpoint, origin: 'wt1', description: 'S3-protocol endpoint URL (empty: AWS S3)' },
    region: { type: 'string', default: defaults.region, origin: 'wt1', description: 'region for request signing (empty: AWS_REGION, else us-east-1)' },
    forcePathStyle: { type: 'bool', default: false, origin: 'wt1', description: 'address buckets as ENDPOINT/BUCKET/KEY instead of BUCKET.ENDPOINT/KEY (MinIO, most self-hosted servers)' },
    prefix: { type: 'string', default: '', origin: 'wt1', description: 'key prefix before tracker/... (e.g. wt1/prod)' },
    maxSpoolBytes: { type: 'int', default: 1_073_741_824, min: 1, origin: 'wt1', description: 'when the files waiting for upload reach this size, new events are dropped and counted (dropped)' },
    retryMinDelay: { type: 'number', default: 1, min: 0.001, origin: 'wt1', description: 'seconds before the first retry of a failed upload (doubles at each failure in a row)' },
    retryMaxDelay: { type: 'number', default: 60, min: 0.001, origin: 'wt1', description: 'longest wait between two upload attempts, in seconds' },
    requestTimeout: { type: 'number', default: 60, min: 0.1, origin: 'wt1', description: 'seconds one upload request may take before it is abandoned and retried' },
    conditionalPut: { type: 'enum', default: defaults.conditionalPut, values: ['if-none-match', 'x-goog-if-generation-match', 'none'], origin: 'wt1', description: 'header making an upload fail rather than replace an object (a HEAD check is always made first)' },
  } as const satisfies SpecTable;
}

type ObjectStorageTable = ReturnType<typeof objectStorageParams>;
type ObjectStorageParams = ParamsOf<ObjectStorageTable>;

/** The S3 engine (WT1's S3StorageProcessor): any S3-protocol store (AWS S3, MinIO, Ceph, R2...). */
export const s3Engine: EngineDescriptor<ObjectStorageTable> = {
  name: 's3',
  wt1ClassNames: ['com.dataiku.wt1.storage.S3StorageProcessor'],
  params: objectStorageParams({ endpoint: '', region: '', conditionalPut: 'if-none-match' }),
  validate: checkKeys,
  create: createObjectStorage,
};

/**
 * The GCS engine (WT1's GCSGAEStorageProcessor, which needed App Engine): Google Cloud Storage
 * through its S3-compatible XML API, with HMAC keys as accessKey / secretKey.
 */
export const gcsEngine: EngineDescriptor<ObjectStorageTable> = {
  name: 'gcs',
  wt1ClassNames: ['com.dataiku.wt1.storage.GCSGAEStorageProcessor'],
  params: objectStorageParams({ endpoint: 'https://storage.googleapis.com', region: 'auto', conditionalPut: 'x-goog-if-generation-match' }),
  validate: checkKeys,
  create: createObjectStorage,
};

function createObjectStorage(params: ObjectStorageParams, context: EngineContext): StorageEngine {
  return new ObjectStorage(params, context);
}

/** Checked with the rest of the config, so that it is reported like any config problem. */
function checkKeys(params: Readonly<Record<string, unknown>>): string[] {
  return Boolean(params.accessKey) === Boolean(params.secretKey)
    ? []
    : ['storage.params.accessKey and storage.params.secretKey go together: set both, or neither to use the AWS credential chain'];
}

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
  // Under Node 20 the SDK warns on stderr at each start that its releases after January 2027 need
  // Node 22: wt1 pins its SDK version (package-lock.json), so that notice is for wt1's maintainers,
  // not for operators (and it would be the only line on `wt1 cat`'s stderr). Set the variable to
  // false to see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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

/** Thrown by `write` while the spool is full: the queue counts the event as failed. */
const SPOOL_FULL = new Wt1Error('WT1_ERR_SPOOL_FULL', 'the upload spool reached maxSpoolBytes; event dropped');

/**
 * Object storage: the same files as the filesystem engine, written in a local spool and uploaded
 * whole once closed. A file leaves the spool only once uploaded; failed uploads are retried with
 * exponential backoff, and a restart picks up what an earlier run left (closed files, and the file
 * a crash interrupted). Uploads never replace an object (see S3Uploader).
 */
export class ObjectStorage implements StorageEngine {
  private readonly dir: string;
  private readonly log: RotatingLog;
  private readonly spool: Spool;
  /** Made in `open`, which loads the AWS SDK: a collector on another engine never loads it. */
  private client: S3Client | undefined;
  private uploader: S3Uploader | undefined;
  /** Files in the outbox, in upload order. */
  private readonly pending: SpoolFile[] = [];
  private readonly byPath = new Map<string, SpoolFile>();
  private readonly attemptWaiters = new Map<SpoolFile, Array<(key: string | undefined) => void>>();
  private loop: Promise<void> | undefined;
  private running = false;
  private wakeUp: (() => void) | undefined;
  private readonly failures = new FailureStreak();
  private closing = false;
  private readonly shutdown = new AbortController();
  private counters = {
    uploadedFiles: 0, uploadedEvents: 0, uploadedBytes: 0, uploadFailures: 0,
    recoveredFiles: 0, recoveredEvents: 0, adoptedFiles: 0, adoptedEvents: 0, dropped: 0, lostFiles: 0,
  };

  constructor(private readonly params: ObjectStorageParams, private readonly context: EngineContext) {
    this.dir = path.resolve(params.tmpFolder);
    const instanceId = safeInstanceId(params.instanceId || context.instanceId);
    this.spool = new Spool(this.dir, instanceId, context.logger);
    this.log = new RotatingLog(rotationOptions(this.dir, params, context, async (file) => (await this.enqueue(file.path, this.context.now(), file.lines)).path));
  }

  async open(): Promise<void> {
    const sdk = await import('@aws-sdk/client-s3');
    // Retries are ours (with backoff, across restarts): one attempt per call here.
    const client = (this.client = new sdk.S3Client(s3ClientConfig(this.params, 1)));
    this.uploader = new S3Uploader(sdk, client, this.params.bucketName, normalizePrefix(this.params.prefix), {
      conditionalPut: this.params.conditionalPut === 'if-none-match',
    });
    if (this.params.conditionalPut === 'x-goog-if-generation-match') {
      // GCS's create-only precondition, on PUT requests only (on a HEAD it would fail on existing keys).
      client.middlewareStack.add((next, ctx) => async (args) => {
        if (ctx.commandName === sdk.PutObjectCommand.name) {
          (args.request as { headers: Record<string, string> }).headers['x-goog-if-generation-match'] = '0';
        }
        return next(args);
      }, { step: 'build', name: 'wt1GcsCreateOnly' });
    }
    await createFolder(path.join(this.dir, 'tracker'), 'storage.params.tmpFolder');
    await this.spool.open();
    // Closed files of earlier runs first (before recovery adds files of this process to the outbox).
    for (const file of await this.spool.adoptLeftovers()) {
      this.counters.adoptedFiles++;
      this.counters.adoptedEvents += file.lines;
      this.track(file);
    }
    const recovered = await recoverLeftovers(this.dir, this.context.logger, async (tmp, lines, _in, _gz, time) => (await this.enqueue(tmp, time, lines)).path, this.params.newFileTriggerInterval);
    for (const r of recovered) {
      if (r.publishedAs) this.counters.recoveredFiles++;
      this.counters.recoveredEvents += r.lines;
    }
    if (this.pending.length > 0) {
      this.context.logger.info({ files: this.pending.length, bytes: this.spool.bytes }, 'uploading files left in the spool by an earlier run');
    }
    this.log.start();
    this.kick();
  }

  write(event: TrackedEvent): void | Promise<void> {
    if (this.spool.bytes >= this.params.maxSpoolBytes) {
      this.counters.dropped++;
      throw SPOOL_FULL;
    }
    return this.log.write(event);
  }

  /** Closes the open file and tries its upload once; its key is returned when that worked. */
  async flush(): Promise<FlushResult> {
    const spooled = await this.log.rotate();
    const file = spooled === undefined ? undefined : this.byPath.get(spooled);
    if (!file) return { published: [] };
    // Upload this one next, now (not after the backoff of earlier failures).
    const at = this.pending.indexOf(file);
    if (at > 0) { this.pending.splice(at, 1); this.pending.unshift(file); }
    const outcome = new Promise<string | undefined>((resolve) => {
      const waiters = this.attemptWaiters.get(file) ?? [];
      waiters.push(resolve);
      this.attemptWaiters.set(file, waiters);
    });
    this.kick(true);
    const key = await outcome;
    return { published: key ? [key] : [] };
  }

  /**
   * Publishes the open file to the spool, then tries each pending upload once, within
   * 80 % of shutdownTimeout; what remains stays in the spool for the next start.
   */
  async close(): Promise<void> {
    await this.log.close();
    this.closing = true;
    const budget = setTimeout(() => this.shutdown.abort(), this.context.config.shutdownTimeout * 800);
    try {
      this.kick(true);
      await this.loop;
    } finally {
      clearTimeout(budget);
      this.shutdown.abort();
      this.client?.destroy();
    }
    if (this.pending.length > 0) {
      this.context.logger.warn({ files: this.pending.length, bytes: this.spool.bytes, spool: this.spool.outbox }, 'files left in the spool; they are uploaded at the next start');
    }
  }

  ready(): boolean {
    return this.spool.bytes < this.params.maxSpoolBytes && this.log.ready();
  }

  stats(): Readonly<Record<string, number>> {
    return {
      ...this.log.stats(),
      ...this.counters,
      spoolFiles: this.spool.fileCount,
      spoolEvents: this.spool.lines,
      spoolBytes: this.spool.bytes,
    };
  }

  /** Moves a closed file into the outbox and schedules its upload. */
  private async enqueue(closedPath: string, time: number, lines: number): Promise<SpoolFile> {
    const file = await this.spool.add(closedPath, time, lines);
    this.track(file);
    this.kick();
    return file;
  }

  private track(file: SpoolFile): void {
    this.pending.push(file);
    this.byPath.set(file.path, file);
  }

  /**
   * Starts the upload loop if it is not running. `now` (a flush, the shutdown) also cuts its backoff
   * wait short; a file closed during an outage just waits its turn, or every rotation would be one
   * more failed attempt and push the backoff to retryMaxDelay within a few files.
   */
  private kick(now = false): void {
    if (this.wakeUp) { if (now) this.wakeUp(); return; }
    if (this.running) return;
    this.running = true;
    this.loop = this.run().catch((error: unknown) => {
      this.running = false;
      this.context.logger.error({ err: error }, 'upload loop failed; it restarts with the next file');
    });
  }

  /** Uploads pending files one at a time; after a failure, waits (backoff) and goes on. */
  private async run(): Promise<void> {
    const triedAtClose = new Set<SpoolFile>();
    for (;;) {
      const file = this.closing ? this.pending.find((f) => !triedAtClose.has(f)) : this.pending[0];
      if (!file || (this.closing && this.shutdown.signal.aborted)) {
        this.running = false; // in the same tick as the check: a file enqueued from now on starts a new loop
        return;
      }
      let key: string | undefined;
      try {
        const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.params.requestTimeout * 1000)]);
        key = await this.uploader!.upload(file, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          // Someone removed the spool file: nothing left to upload, never retry it.
          this.forget(file);
          this.counters.lostFiles++;
          this.context.logger.error({ file: file.path, events: file.lines }, 'a spooled file disappeared before its upload');
          this.notifyAttempt(file, undefined);
          continue;
        }
        this.onFailure(file, error);
      }
      if (key !== undefined) await this.onUploaded(file, key);
      this.notifyAttempt(file, key);
      if (key !== undefined) continue;
      if (this.closing) { triedAtClose.add(file); continue; }
      // Another file goes first next time: one file the store refuses does not block the others.
      this.pending.push(...this.pending.splice(this.pending.indexOf(file), 1));
      await this.sleep(this.backoff());
    }
  }

  private forget(file: SpoolFile): void {
    this.pending.splice(this.pending.indexOf(file), 1);
    this.byPath.delete(file.path);
    this.spool.release(file);
  }

  private async onUploaded(file: SpoolFile, key: string): Promise<void> {
    this.forget(file);
    await rm(file.path, { force: true });
    this.counters.uploadedFiles++;
    this.counters.uploadedEvents += file.lines;
    this.counters.uploadedBytes += file.bytes;
    const failedAttempts = this.failures.succeed();
    if (failedAttempts > 0) this.context.logger.info({ failedAttempts, key }, 'uploads resumed');
  }

  private onFailure(file: SpoolFile, error: unknown): void {
    this.counters.uploadFailures++;
    if (this.failures.fail()) {
      this.context.logger.warn({ err: error, file: file.path, failuresInARow: this.failures.inARow, spoolFiles: this.spool.fileCount }, 'upload failed; the file stays in the spool and is retried');
    }
  }

  private notifyAttempt(file: SpoolFile, key: string | undefined): void {
    const waiters = this.attemptWaiters.get(file);
    if (!waiters) return;
    this.attemptWaiters.delete(file);
    for (const resolve of waiters) resolve(key);
  }

  /** Exponential backoff with jitter: between half and all of min * 2^(failures-1), capped. */
  private backoff(): number {
    const base = Math.min(this.params.retryMaxDelay, this.params.retryMinDelay * 2 ** Math.min(30, this.failures.inARow - 1));
    return base * 1000 * (0.5 + Math.random() / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void { clearTimeout(timer); resolve(); }
      this.wakeUp = () => { this.wakeUp = undefined; done(); };
    }).finally(() => { this.wakeUp = undefined; });
  }
}
