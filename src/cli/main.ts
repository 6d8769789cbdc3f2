import { ConfigError, Wt1Error } from '../errors.js';
import { VERSION } from '../version.js';
import { serve, SERVE_USAGE } from './serve.js';
import { cat } from './cat.js';

const USAGE = `wt1: a self-hosted web-tracking event collector (a drop-in replacement for WT1)

Commands:
  wt1 serve [--config FILE] [--port N] [--host ADDR] [--workers N]   run the collector
  wt1 cat [--format tsv|jsonl] [filters] SOURCE...                   merge the log files of all instances (wt1 cat --help)
  wt1 --version                                                      print the version

${SERVE_USAGE}`;

/** Subcommands: a file each under src/cli/, one entry here. */
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { serve, cat };

/** Runs the CLI; resolves with the process exit code. Errors are printed as one clear line each. */
export async function runCli(argv: string[]): Promise<number> {
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
      process.stderr.write(`wt1: unknown command "${command}" (known: ${Object.keys(COMMANDS).join(', ')}); see wt1 --help\n`);
      return 2;
    }
    return await run(rest);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`wt1: invalid configuration [${error.code}]:${error.problems.length === 1 ? ' ' : '\n  - '}${error.problems.join('\n  - ')}\n`);
      return 2;
    }
    if (error instanceof Wt1Error) {
      process.stderr.write(`wt1: ${error.message} [${error.code}]\n`);
      return 2;
    }
    if (error instanceof Error && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`wt1: ${error.message} [WT1_ERR_CLI_USAGE]\n`);
      return 2;
    }
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`wt1: ${error.message}: the port is taken\n`);
      return 1;
    }
    throw error;
  }
}
