import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, constants as zc } from 'node:zlib';
import { quotedColumns, unescapeField } from '../../src/logfile/line-format.js';

/** Every published log file under `root` (skipping `_` temporaries), sorted by path. */
export function publishedFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (!name.startsWith('_') && name.endsWith('.log.gz')) out.push(full);
    }
  };
  walk(root);
  return out.sort(byPublicationOrder);
}

/**
 * Orders published files as they were closed: by folder, then `mm-ss`, then the `-N` suffix
 * numerically (`04-05.log.gz` before `04-05-1.log.gz` before `04-05-10.log.gz`).
 */
export function byPublicationOrder(a: string, b: string): number {
  const key = (f: string): [string, string, number] => {
    const m = /^(\d\d-\d\d.*?)(?:-(\d+))?\.log\.gz$/.exec(path.basename(f));
    return [path.dirname(f), m ? m[1] : path.basename(f), m?.[2] ? Number(m[2]) : 0];
  };
  const [da, na, xa] = key(a);
  const [db, nb, xb] = key(b);
  return da < db ? -1 : da > db ? 1 : na < nb ? -1 : na > nb ? 1 : xa - xb;
}

/** Temporary (`_`) files under `root`. */
export function temporaryFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.startsWith('_')) out.push(full);
    }
  };
  walk(root);
  return out.sort();
}

export interface LogFile {
  readonly path: string;
  readonly header: string[];
  /** Raw lines (without the newline), header excluded. */
  readonly lines: string[];
}

export function readLogFile(file: string): LogFile {
  const text = gunzipSync(readFileSync(file), { finishFlush: zc.Z_SYNC_FLUSH }).toString('utf8');
  if (!text.endsWith('\n')) throw new Error(`${file}: does not end with a newline`);
  const all = text.slice(0, -1).split('\n');
  const header = all[0].replace(/^#/, '').split('\t');
  return { path: file, header, lines: all.slice(1) };
}

/**
 * One line as an object keyed by the header's column names, fields unescaped (`null` gives null).
 * Throws when the line does not have the header's field count or a quoted column lacks its quotes.
 */
export type Row = Record<string, string | null>;

export function parseLine(header: readonly string[], line: string): Row {
  const fields = line.split('\t');
  if (fields.length !== header.length) {
    throw new Error(`line has ${fields.length} fields, header has ${header.length}: ${JSON.stringify(line)}`);
  }
  const quoted = quotedColumns(header);
  const row: Row = {};
  header.forEach((name, i) => {
    row[name] = unescapeField(fields[i], quoted[i]);
  });
  return row;
}

/** All rows of all published files under `root`, in file order then line order. */
export function readAllRows(root: string): Row[] {
  const rows: Row[] = [];
  for (const file of publishedFiles(root)) {
    const f = readLogFile(file);
    for (const line of f.lines) rows.push(parseLine(f.header, line));
  }
  return rows;
}
