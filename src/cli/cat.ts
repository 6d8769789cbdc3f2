import type { WriteStream } from 'node:tty';
import { ConfigError, Wt1Error } from '../errors.js';
import { configFromEnv, readConfigFile } from '../config/load.js';
import { knownKeyNames } from '../server/plugins.js';
import { readKeys, type RawValue } from '../config/spec.js';
import { LocalSource } from '../reader/local-source.js';
import { s3Engine } from '../storage/s3.js';
import type { S3Connection } from '../storage/s3-client.js';
import type { LogFileRef, LogSource } from '../reader/source.js';
import { mergeFiles, scanFileStarts, type MergeReport, type MergeStats } from '../reader/merge.js';
import { LineFormatter, OutputClosed, OutputSink, unionColumns, type OutputFormat } from '../reader/output.js';
import { parseTimeArgument, type LineFilter } from '../reader/filters.js';
import { ProgressBar, PROGRESS_MIN_FILES } from '../reader/progress.js';
import { BASE_COLUMNS } from '../logfile/line-format.js';
import { parseCommandLine } from './args.js';

export const CAT_USAGE = `Usage: wt1 cat [options] SOURCE...

Reads every log file of every instance under each SOURCE (a local root folder, any folder or
.log.gz file below it, s3://bucket/prefix, or kafka://host:port/topic for a topic written by the
Kafka engine, copies dropped by message id) and writes their lines merged in server_ts order to
stdout: TSV with one header line (default) or JSON lines. In local folders the files still being
written (_ names) are read too, up to their last complete line.
Streams: memory depends on the files open at once (those overlapping in time), not on their number.

Options:
  --format tsv|jsonl        output format (jsonl: one object per line, fields unescaped, sizes
                            and tz_off as numbers, missing values null, params as objects)
  --no-decode-params        jsonl: visitor_params, session_params, event_params as their raw
                            query strings (--decode-params, the default: as objects)
  --no-include-open         skip the files still being written (--include-open, the default for
                            local folders: read their complete lines); stderr says how many
  --visitor ID              only this visitor_id (repeatable)
  --session ID              only this session_id (repeatable)
  --type TYPE               only this event type, e.g. page (repeatable)
  --from TIME, --to TIME    server_ts from (inclusive) / to (exclusive); UTC unless a zone is
                            given: 2026-11-27, 2026-11-27T06:05, 2026-11-27T06:05:04.123Z, epoch ms;
                            or relative: 30m, 1h, 2d, 1w (ago), now, today, yesterday (00:00 UTC)
  -c, --config FILE         read the S3 settings (storage.params.endpoint, region, forcePathStyle,
                            accessKey, secretKey) from a wt1 config file
  --s3-endpoint URL         S3-compatible endpoint (else WT1_STORAGE__PARAMS__ENDPOINT)
  --s3-region REGION        region (else WT1_STORAGE__PARAMS__REGION, AWS_REGION,
                            AWS_DEFAULT_REGION, us-east-1)
  --s3-force-path-style     path-style URLs (else WT1_STORAGE__PARAMS__FORCE_PATH_STYLE=true)
  Credentials: WT1_STORAGE__PARAMS__ACCESS_KEY / __SECRET_KEY, else the AWS chain
  (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles).
  -h, --help                this text

Files with different headers: the output has every column of every file (first seen first); a
line lacking a column gets an empty field (TSV) or null (JSON).
Unreadable sources or files, corrupt or truncated files and malformed lines are reported on stderr
and the rest is still written. Exit code: 0 all read, 1 something could not be read, 2 bad usage.`;

export async function cat(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('cat', {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string', default: 'tsv' },
      'include-open': { type: 'boolean' },
      'no-include-open': { type: 'boolean' },
      'decode-params': { type: 'boolean' },
      'no-decode-params': { type: 'boolean' },
      visitor: { type: 'string', multiple: true },
      session: { type: 'string', multiple: true },
      type: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      config: { type: 'string', short: 'c' },
      's3-endpoint': { type: 'string' },
      's3-region': { type: 'string' },
      's3-force-path-style': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(CAT_USAGE + '\n');
    return 0;
  }
  if (positionals.length === 0)
    throw new Wt1Error(
      'WT1_ERR_CLI_USAGE',
      'wt1 cat needs at least one SOURCE (a folder or s3://bucket/prefix); see wt1 cat --help',
    );
  const format = values.format as OutputFormat;
  if (format !== 'tsv' && format !== 'jsonl')
    throw new Wt1Error('WT1_ERR_CLI_USAGE', `--format ${values.format}: use tsv or jsonl`);
  const time = (flag: string, text: string | undefined): string | undefined => {
    if (text === undefined) return undefined;
    const key = parseTimeArgument(text);
    if (key === undefined)
      throw new Wt1Error(
        'WT1_ERR_CLI_USAGE',
        `${flag} ${text}: not a time (e.g. 2026-11-27T06:05:00, UTC unless a zone is given; or 1h, 30m, 2d, today, ` +
          `yesterday)`,
      );
    return key;
  };
  const includeOpen = flagPair(values['include-open'], values['no-include-open'], '--include-open', true);
  const decodeParams = flagPair(values['decode-params'], values['no-decode-params'], '--decode-params', true);
  const filter: LineFilter = {
    visitors: values.visitor ? new Set(values.visitor) : undefined,
    sessions: values.session ? new Set(values.session) : undefined,
    types: values.type ? new Set(values.type) : undefined,
    fromKey: time('--from', values.from),
    toKey: time('--to', values.to),
  };

  // The AWS SDK is loaded only when an s3:// source is given (it is slow to import).
  const s3Module = positionals.some((p) => p.startsWith('s3://')) ? await import('../reader/s3-source.js') : undefined;
  const s3 = s3Module?.createS3Client(s3Settings(values, process.env));
  // Likewise the Kafka client, for kafka://host:port/topic (a topic written by the Kafka engine).
  const kafkaModule = positionals.some((p) => p.startsWith('kafka://'))
    ? await import('../reader/kafka-source.js')
    : undefined;
  const sources: LogSource[] = positionals.map((name) => {
    if (kafkaModule && name.startsWith('kafka://')) {
      if (!kafkaModule.parseKafkaUrl(name))
        throw new Wt1Error('WT1_ERR_CLI_USAGE', `${name}: expected kafka://host:port[,host:port...]/topic`);
      return new kafkaModule.KafkaSource(name);
    }
    if (!s3Module || !s3 || !name.startsWith('s3://')) return new LocalSource(name, { includeOpen });
    if (!s3Module.parseS3Url(name)) throw new Wt1Error('WT1_ERR_CLI_USAGE', `${name}: expected s3://bucket/prefix`);
    return new s3Module.S3Source(name, s3);
  });

  const stderr = process.stderr;
  let progress: ProgressBar | undefined;
  const say = (text: string): void => {
    progress?.clear();
    stderr.write(`wt1 cat: ${text}\n`);
  };
  const report: MergeReport = {
    problem: (file, message) => say(`${file}: ${message}`),
    progress: (done, total) => progress?.update(done, total),
  };
  const stats: MergeStats = { files: 0, unreadableFiles: 0, lines: 0, outOfOrderLines: 0 };
  let failedSources = 0;

  try {
    const refs: LogFileRef[] = [];
    const seen = new Set<string>(); // overlapping sources (data and data/tracker/2026) give each file once
    for (const source of sources) {
      try {
        for (const ref of await source.list()) {
          if (seen.has(ref.name)) continue;
          seen.add(ref.name);
          refs.push(ref);
        }
      } catch (error) {
        failedSources++;
        say(`${source.name}: cannot list the files: ${(error as Error).message}`);
      }
    }
    stats.files = refs.length;
    const skippedOpen = sources.reduce((n, s) => n + (s.skippedOpenFiles ?? 0), 0);
    if (skippedOpen > 0)
      say(
        `${skippedOpen} file${skippedOpen === 1 ? '' : 's'} still being written skipped (without ` +
          `--no-include-open, their complete lines are read)`,
      );
    if (refs.length === 0 && failedSources === 0) say(`no files in ${positionals.join(', ')}`);
    if (stderr.isTTY && refs.length >= PROGRESS_MIN_FILES)
      progress = new ProgressBar(stderr as WriteStream, `${refs.length} files`);

    const fromMs = filter.fromKey === undefined ? undefined : Date.parse(filter.fromKey + 'Z');
    const starts = await scanFileStarts(refs, report, stats, { fromMs });
    // No file (or none in the time range): the header of a default wt1 file, so the output is still a valid log.
    const headers = starts.length > 0 ? starts.map((s) => s.header) : [DEFAULT_HEADER];
    const formatter = new LineFormatter(unionColumns(headers), format, filter, { decodeParams });
    const sink = new OutputSink(process.stdout);
    await sink.write(formatter.header());
    try {
      await mergeFiles(
        starts,
        (line, key, header, file) => sink.write(formatter.render(line, key, header, file)),
        report,
        stats,
        { toKey: filter.toKey, filesTotal: refs.length },
      );
      await sink.flush();
    } catch (error) {
      if (!(error instanceof OutputClosed)) throw error;
      return failedSources + stats.unreadableFiles > 0 ? 1 : 0;
    }
    progress?.clear();
    if (new Set(starts.map((s) => s.header)).size > 1)
      say(
        `note: the files have ${new Set(starts.map((s) => s.header)).size} different headers; the output has the ` +
          `union of their columns`,
      );
    for (const [file, lines] of formatter.malformedByFile) {
      say(
        `${file}: ${lines === 1 ? '1 line does' : `${lines} lines do`} not match the header (number of fields, or ` +
          `a quoted column without its quotes); skipped`,
      );
    }
    if (stats.outOfOrderLines > 0)
      say(
        `${stats.outOfOrderLines} lines were out of server_ts order in their file (a clock stepped back?) and are ` +
          `written late`,
      );
    return failedSources + stats.unreadableFiles + formatter.malformedLines > 0 ? 1 : 0;
  } finally {
    progress?.clear();
    s3?.destroy();
  }
}

const DEFAULT_HEADER = '#' + BASE_COLUMNS.join('\t');

/** A `--x` / `--no-x` pair: the one given, `fallback` when neither; both is a usage error. */
function flagPair(on: boolean | undefined, off: boolean | undefined, flag: string, fallback: boolean): boolean {
  if (on && off)
    throw new Wt1Error('WT1_ERR_CLI_USAGE', `${flag} and --no-${flag.slice(2)} contradict each other: give one`);
  return on ? true : off ? false : fallback;
}

/** The storage.params keys `wt1 cat` reads to reach an S3 source. */
const S3_CONNECTION_KEYS = ['endpoint', 'region', 'forcePathStyle', 'accessKey', 'secretKey'] as const;

/**
 * S3 settings: flags, then WT1_STORAGE__PARAMS__*, then the config file; read and checked as the
 * S3 engine's params are (same variable names, same booleans).
 */
export function s3Settings(
  values: { config?: string; 's3-endpoint'?: string; 's3-region'?: string; 's3-force-path-style'?: boolean },
  env: NodeJS.ProcessEnv,
): S3Connection {
  const raw = new Map<string, RawValue>(values.config ? readConfigFile(values.config) : []);
  for (const [k, v] of configFromEnv(env, knownKeyNames())) raw.set(k, v);
  if (values['s3-endpoint'] !== undefined) raw.set('storage.params.endpoint', values['s3-endpoint']);
  if (values['s3-region'] !== undefined) raw.set('storage.params.region', values['s3-region']);
  if (values['s3-force-path-style']) raw.set('storage.params.forcePathStyle', true);
  const specs = Object.fromEntries(S3_CONNECTION_KEYS.map((k) => [k, s3Engine.params[k]]));
  const problems: string[] = [];
  const settings = readKeys('storage.params.', raw, specs, problems) as S3Connection;
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}
