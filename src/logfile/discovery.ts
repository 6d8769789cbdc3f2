import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isPublishedLogName } from './naming.js';

/** Every file under `dir` (recursively) whose name passes `accept`. Missing folders give nothing. */
export async function findFiles(dir: string, accept: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await findFiles(full, accept)));
    else if (entry.isFile() && accept(entry.name)) out.push(full);
  }
  return out;
}

/** Every published log file under `dir` (recursively), the `_` temporaries left out. */
export function findPublishedLogFiles(dir: string): Promise<string[]> {
  return findFiles(dir, isPublishedLogName);
}
