import { link, rm } from 'node:fs/promises';
import path from 'node:path';
import type { EngineContext, EngineDescriptor, FlushResult, StorageEngine } from './engine.js';
import type { TrackedEvent } from '../event/event.js';
import type { ParamsOf, SpecTable } from '../config/spec.js';
import { RotatingLog, rotationOptions, syncDir } from './rotating-log.js';
import { GZIP_LEVEL_PARAM, ROTATION_PARAMS } from './log-file-params.js';
import { publishedName, safeInstanceId } from '../logfile/naming.js';
import { recoverLeftovers } from './recovery.js';
import { createFolder, makeDir } from '../util/make-dir.js';

/** `storage.params.*` of the filesystem engine; the params it receives are typed from this table. */
const FS_PARAMS = {
  rootDir: {
    type: 'string',
    default: './data',
    origin: 'WT1',
    description: 'folder under which tracker/YYYY/MM/DD/HH/ files are written',
  },
  ...ROTATION_PARAMS,
  gzipLevel: GZIP_LEVEL_PARAM,
  instanceId: {
    type: 'string',
    default: '',
    origin: 'wt1',
    description: 'added to file names; defaults to the top-level instanceId (none for a single instance)',
  },
} as const satisfies SpecTable;

type FsParams = ParamsOf<typeof FS_PARAMS>;

/**
 * The filesystem engine (WT1's FSStorageProcessor): gzip log files under
 * `rootDir/tracker/YYYY/MM/DD/HH/mm-ss[-INSTANCE][-N].log.gz`, written under a `_` name and
 * published by a hard link that never replaces an existing file.
 */
export const fsEngine: EngineDescriptor<typeof FS_PARAMS> = {
  name: 'fs',
  wt1ClassNames: ['com.dataiku.wt1.storage.FSStorageProcessor'],
  params: FS_PARAMS,
  create(params, context) {
    return new FsStorage(params, context);
  },
};

export class FsStorage implements StorageEngine {
  private readonly root: string;
  private readonly instanceId: string;
  private readonly log: RotatingLog;
  private recovered = { recoveredFiles: 0, recoveredEvents: 0 };

  constructor(
    private readonly params: FsParams,
    private readonly context: EngineContext,
  ) {
    this.root = path.resolve(params.rootDir);
    this.instanceId = safeInstanceId(params.instanceId || context.config.instanceId); // `a/b` must not make a folder
    this.log = new RotatingLog(
      rotationOptions(this.root, params, context, (file) => this.publish(file.path, this.context.now())),
    );
  }

  async open(): Promise<void> {
    await createFolder(path.join(this.root, 'tracker'), 'storage.params.rootDir');
    const recovered = await recoverLeftovers(
      this.root,
      this.context.logger,
      (tmp, _lines, _in, _gz, time) => this.publish(tmp, time),
      this.params.newFileTriggerInterval,
    );
    for (const r of recovered) {
      if (r.publishedAs) this.recovered.recoveredFiles++;
      this.recovered.recoveredEvents += r.lines;
    }
    this.log.start();
  }

  write(event: TrackedEvent): void | Promise<void> {
    return this.log.write(event);
  }

  /** ackMode=durable: every event written so far is on disk once this resolves (group commit calls it). */
  sync(): Promise<void> {
    return this.log.sync();
  }

  async flush(): Promise<FlushResult> {
    const name = await this.log.rotate();
    return { published: name ? [name] : [] };
  }

  async close(): Promise<void> {
    await this.log.close();
  }

  stats(): Readonly<Record<string, number>> {
    return { ...this.log.stats(), ...this.recovered };
  }

  /** False while files cannot be written (disk full, folder not writable): /ready answers 503. */
  ready(): boolean {
    return this.log.ready();
  }

  /**
   * Links the temporary file to the first free final name (link never replaces an existing file,
   * unlike rename), then removes the temporary name. Within one second the search starts after the
   * last number used, so a burst of rotations costs one link each, not one per earlier file.
   */
  private async publish(tmpPath: string, time: number): Promise<string> {
    const second = Math.floor(time / 1000);
    let n = second === this.lastPublished.second ? this.lastPublished.n + 1 : 0;
    let retried = false;
    for (; ; n++) {
      const final = path.join(this.root, publishedName(time, this.instanceId, n));
      try {
        const dir = path.dirname(final);
        if (dir !== this.knownDir) {
          await makeDir(dir);
          this.knownDir = dir;
        }
        await link(tmpPath, final);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code === 'ENOENT' && !retried) {
          retried = true; // the folder may have been removed under us: create it again, once
          this.knownDir = undefined;
          n--;
          continue;
        }
        throw e;
      }
      this.lastPublished = { second, n };
      // Durable: the published name is on disk before the temporary one goes (recovery skips a
      // temporary file that is still linked under its final name: nothing is published twice).
      if (this.context.config.ackMode === 'durable') await syncDir(path.dirname(final));
      await rm(tmpPath);
      return final;
    }
  }
  private lastPublished = { second: -1, n: 0 };
  private knownDir: string | undefined;
}
