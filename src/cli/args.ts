import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Wt1Error } from '../errors.js';
import { nearest } from '../config/suggest.js';

/** A mistake on the command line, printed as its own plain sentence (`unknown option --vistor`). */
export class UsageError extends Wt1Error {
  readonly usage: string;
  constructor(usage: string) {
    super('WT1_ERR_CLI_USAGE', usage);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

/**
 * node:util parseArgs, its errors turned into one plain line: an unknown option is named with the
 * nearest known one (`unknown option --vistor; did you mean --visitor?`).
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const option = /'(-[^']*)'/.exec((error as Error).message)?.[1] ?? '?';
      const name = option.replace(/^-+/, '').split('=')[0];
      const suggestion = option.startsWith('--') ? nearest(name, Object.keys(config.options ?? {})) : undefined;
      const hint = suggestion === undefined ? '' : `; did you mean --${suggestion}?`;
      throw new UsageError(`unknown option ${option}${hint} (wt1 ${command} --help lists them)`);
    }
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${(error as Error).message} (wt1 ${command} --help)`);
    }
    throw error;
  }
}
