import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { EngineContext, EngineDescriptor, FlushResult, StorageEngine } from './engine.js';
import type { TrackedEvent } from '../event/event.js';
import { RotatingLog, rotationOptions, syncDir } from './rotating-log.js';
import { safeInstanceId } from '../logfile/naming.js';
import { recoverLeftovers } from './recovery.js';
import { createFolder } from '../util/make-dir.js';
import { Spool, type SpoolFile } from './spool.js';
import { S3Uploader, normalizePrefix } from './s3-upload.js';
import { Wt1Error } from '../errors.js';
import { checkKeys, objectStorageParams, type ObjectStorageParams, type ObjectStorageTable } from './s3-params.js';
import { addGcsCreateOnly, s3ClientConfig } from './s3-client.js';
import { UploadLoop } from './s3-upload-loop.js';

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
  params: objectStorageParams({
    endpoint: 'https://storage.googleapis.com',
    region: 'auto',
    conditionalPut: 'x-goog-if-generation-match',
  }),
  validate: checkKeys,
  create: createObjectStorage,
};

function createObjectStorage(params: ObjectStorageParams, context: EngineContext): StorageEngine {
  return new ObjectStorage(params, context);
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
  private uploads: UploadLoop | undefined;
  private counters = { recoveredFiles: 0, recoveredEvents: 0, adoptedFiles: 0, adoptedEvents: 0, dropped: 0 };

  constructor(
    private readonly params: ObjectStorageParams,
    private readonly context: EngineContext,
  ) {
    this.dir = path.resolve(params.tmpFolder);
    const instanceId = safeInstanceId(params.instanceId || context.instanceId);
    this.spool = new Spool(this.dir, instanceId, context.logger);
    this.log = new RotatingLog(
      rotationOptions(
        this.dir,
        params,
        context,
        async (file) => (await this.enqueue(file.path, this.context.now(), file.lines)).path,
      ),
    );
  }

  async open(): Promise<void> {
    const sdk = await import('@aws-sdk/client-s3');
    // Retries are ours (with backoff, across restarts): one attempt per call here.
    const client = (this.client = new sdk.S3Client(s3ClientConfig(this.params, 1)));
    const uploader = new S3Uploader(sdk, client, this.params.bucketName, normalizePrefix(this.params.prefix), {
      conditionalPut: this.params.conditionalPut === 'if-none-match',
    });
    if (this.params.conditionalPut === 'x-goog-if-generation-match')
      addGcsCreateOnly(client, sdk.PutObjectCommand.name);
    const uploads = (this.uploads = new UploadLoop({
      upload: (file, signal) => uploader.upload(file, signal),
      release: async (file) => {
        this.spool.release(file);
        await rm(file.path, { force: true });
      },
      requestTimeout: this.params.requestTimeout,
      retryMinDelay: this.params.retryMinDelay,
      retryMaxDelay: this.params.retryMaxDelay,
      logger: this.context.logger,
      spoolFiles: () => this.spool.fileCount,
      now: this.context.now,
    }));
    await createFolder(path.join(this.dir, 'tracker'), 'storage.params.tmpFolder');
    await this.spool.open();
    // Closed files of earlier runs first (before recovery adds files of this process to the outbox).
    for (const file of await this.spool.adoptLeftovers()) {
      this.counters.adoptedFiles++;
      this.counters.adoptedEvents += file.lines;
      uploads.add(file, false);
    }
    const recovered = await recoverLeftovers(
      this.dir,
      this.context.logger,
      async (tmp, lines, _in, _gz, time) => (await this.enqueue(tmp, time, lines, false)).path,
      this.params.newFileTriggerInterval,
    );
    for (const r of recovered) {
      if (r.publishedAs) this.counters.recoveredFiles++;
      this.counters.recoveredEvents += r.lines;
    }
    if (uploads.size > 0) {
      this.context.logger.info(
        { files: uploads.size, bytes: this.spool.bytes },
        'uploading files left in the spool by an earlier run',
      );
    }
    this.log.start();
    uploads.start();
  }

  write(event: TrackedEvent): void | Promise<void> {
    if (this.spool.bytes >= this.params.maxSpoolBytes) {
      this.counters.dropped++;
      throw SPOOL_FULL;
    }
    return this.log.write(event);
  }

  /**
   * ackMode=durable, as the fs engine: every event written so far is in a synced local file (the
   * open one, or a closed one in the outbox, moved there by a rename and the folder synced). Both
   * survive kill -9 and are uploaded by the next start, so no write-ahead spool is needed in front.
   */
  sync(): Promise<void> {
    return this.log.sync();
  }

  /** Closes the open file and tries its upload once; its key is returned when that worked. */
  async flush(): Promise<FlushResult> {
    const spooled = await this.log.rotate();
    const file = spooled === undefined ? undefined : this.uploads?.get(spooled);
    if (!file || !this.uploads) return { published: [] };
    const key = await this.uploads.uploadNow(file);
    return { published: key ? [key] : [] };
  }

  /**
   * Publishes the open file to the spool, then tries each pending upload once, within
   * 80 % of shutdownTimeout; what remains stays in the spool for the next start.
   */
  async close(): Promise<void> {
    await this.log.close();
    try {
      await this.uploads?.finish(this.context.config.shutdownTimeout * 800);
    } finally {
      this.client?.destroy();
    }
    if (this.uploads && this.uploads.size > 0) {
      this.context.logger.warn(
        { files: this.uploads.size, bytes: this.spool.bytes, spool: this.spool.outbox },
        'files left in the spool; they are uploaded at the next start',
      );
    }
  }

  ready(): boolean {
    return this.spool.bytes < this.params.maxSpoolBytes && this.log.ready();
  }

  stats(): Readonly<Record<string, number>> {
    return {
      ...this.log.stats(),
      ...(this.uploads?.counters ?? {
        uploadedFiles: 0,
        uploadedEvents: 0,
        uploadedBytes: 0,
        uploadFailures: 0,
        lostFiles: 0,
      }),
      ...this.counters,
      spoolFiles: this.spool.fileCount,
      spoolEvents: this.spool.lines,
      spoolBytes: this.spool.bytes,
    };
  }

  /** Moves a closed file into the outbox and schedules its upload (`start`: at once). */
  private async enqueue(closedPath: string, time: number, lines: number, start = true): Promise<SpoolFile> {
    const file = await this.spool.add(closedPath, time, lines);
    if (this.context.config.ackMode === 'durable') await syncDir(this.spool.outbox);
    this.uploads?.add(file, start);
    return file;
  }
}
