import { ConfigError, Wt1Error } from '../errors.js';
import { VERSION } from '../version.js';
import { serve, SERVE_USAGE } from './serve.js';
import { cat } from './cat.js';
import { UsageError } from './args.js';
import { listenFailure } from './listen-failure.js';

const USAGE = `wt1: a self-hosted web-tracking event collector (a drop-in replacement for WT1)

Commands:
  wt1 serve [--config FILE] [--port N] [--host ADDR] [--workers N]   run the collector
  wt1 cat [--format tsv|jsonl] [filters] SOURCE...                   merge the files of all instances (wt1 cat --help)
  wt1 --version                                                      print the version

${SERVE_USAGE}`;

/** Subcommands: a file each under src/cli/, one entry here. */
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { serve, cat };

/** A config with more problems than this is probably not a config file: the rest are counted. */
const MAX_PROBLEMS_SHOWN = 20;

/** Control characters from a config file or a path, shown escaped rather than sent to the terminal. */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** Runs the CLI; resolves with the process exit code. Errors are printed as one clear line each. */
export async function runCli(argv: string[]): Promise<number> {
  // Under Node 20 the AWS SDK warns on stderr at each start that its releases after January 2027
  // need Node 22: wt1 pins its SDK version (package-lock.json), so that notice is for wt1's
  // maintainers, not for operators (and it would be the only line on `wt1 cat`'s stderr). Decided
  // here, by the program that owns the process, not by a library function. Set it to false to see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [command, ...rest] = argv;
  try {
    if (command === '--version' || command === '-v') {
      process.stdout.write(VERSION + '\n');
      return 0;
    }
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    const run = COMMANDS[command];
    if (!run) {
      process.stderr.write(
        `wt1: unknown command "${command}" (known: ${Object.keys(COMMANDS).join(', ')}); see wt1 --help\n`,
      );
      return 2;
    }
    return await run(rest);
  } catch (error) {
    if (error instanceof ConfigError) {
      const shown = error.problems.slice(0, MAX_PROBLEMS_SHOWN).map(printable);
      const more = error.problems.length - shown.length;
      if (more > 0) shown.push(`... and ${more} more`);
      process.stderr.write(
        `wt1: invalid configuration [${error.code}]:${shown.length === 1 ? ' ' : '\n  - '}${shown.join('\n  - ')}\n`,
      );
      return 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`wt1: ${printable(error.usage)} [${error.code}]\n`);
      return 2;
    }
    const listen = listenFailure(error);
    if (listen) {
      process.stderr.write(`wt1: ${printable(listen.line)} [${listen.code}]\n`);
      return listen.exitCode;
    }
    if (error instanceof Wt1Error) {
      process.stderr.write(`wt1: ${printable(error.message)} [${error.code}]\n`);
      return 2;
    }
    if (error instanceof Error && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`wt1: ${error.message} [WT1_ERR_CLI_USAGE]\n`);
      return 2;
    }
    throw error;
  }
}
