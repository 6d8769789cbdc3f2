import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * `mkdir -p` that always ends. Node's `mkdir(dir, { recursive: true })` loops forever at 100 % CPU
 * where the kernel answers ENOENT for a folder whose parent exists (under /proc, /sys: issue 15 §4):
 * here each missing parent is created once, then the folder is tried once more, and what still
 * fails is thrown.
 */
export async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return checkIsDir(dir, error);
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    await makeDir(parent);
  }
  try {
    await mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await checkIsDir(dir, error);
  }
}

async function checkIsDir(dir: string, error: unknown): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw error;
}

/**
 * `makeDir` for a folder a config key decides (e.g. `storage.params.rootDir`): a failure names the
 * key, the folder and the reason, so that a start that cannot create its folders says why in one line.
 */
export async function createFolder(dir: string, key: string): Promise<void> {
  try {
    await makeDir(dir);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new Error(`${key}: cannot create the folder ${dir} (${e.code ?? e.message})`, { cause: error });
  }
}
