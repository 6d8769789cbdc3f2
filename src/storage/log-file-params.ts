import { DEFAULT_GZIP_LEVEL } from './gzip-log-file.js';
import type { KeySpec } from '../config/spec.js';

/** The `gzipLevel` param of the engines that write gzip log files (fs, s3). */
export const GZIP_LEVEL_PARAM = {
  type: 'int',
  default: DEFAULT_GZIP_LEVEL,
  min: 1,
  max: 9,
  origin: 'wt1',
  description:
    `zlib level of the files, 1 (fastest) to 9 (smallest); the default ${DEFAULT_GZIP_LEVEL} makes ` +
    `files ~7% larger than WT1's 6 for less than half the CPU`,
} as const satisfies KeySpec;

/** The WT1 rotation params of the engines that write gzip log files (fs, s3): one table, one meaning. */
export const ROTATION_PARAMS = {
  newFileTriggerSize: {
    type: 'int',
    default: 1_048_576,
    min: 1,
    origin: 'WT1',
    description: 'start a new file once this many uncompressed bytes are written',
  },
  newFileTriggerInterval: {
    type: 'number',
    default: 300,
    min: 0,
    origin: 'WT1',
    description: 'start a new file once the open one is this many seconds old (0: never)',
  },
} as const satisfies Record<string, KeySpec>;
