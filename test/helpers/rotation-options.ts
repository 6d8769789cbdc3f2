import type { RotationOptions } from '../../src/storage/rotating-log.js';
import { silentLogger } from '../../src/log.js';

/**
 * Rotation options for a log in `workDir`: no rotation of its own; files are "published" where they are, into
 * `published`.
 */
export function testRotationOptions(
  workDir: string,
  published: string[],
  overrides: Partial<RotationOptions> = {},
): RotationOptions {
  return {
    workDir,
    columns: { globalVisitorId: false, inlinedVisitorParams: [], inlinedSessionParams: [], inlinedEventParams: [] },
    newFileTriggerSize: 1 << 20,
    newFileTriggerInterval: 0,
    gzipLevel: 3,
    flushInterval: 1,
    now: Date.now,
    logger: silentLogger(),
    publish: async (file) => {
      published.push(file.path);
      return file.path;
    },
    ...overrides,
  };
}
