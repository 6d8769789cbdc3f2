/**
 * Which load generator the bench uses: wrk when it is on PATH (it leaves the server most of a core),
 * else autocannon. BENCH_LOADGEN=wrk|autocannon forces one.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { runWrk, wrkVersion } from './wrk.js';
import { runAutocannon, autocannonVersion } from './autocannon.js';
import type { LoadOptions, LoadResult } from './load-result.js';

export interface LoadGenerator {
  name: 'wrk' | 'autocannon';
  version: string;
  run(opts: LoadOptions): Promise<LoadResult>;
  /** A line to print first, when the choice hurts the measure. */
  notice?: string;
}

export const WRK_MISSING = 'wrk not found (apt-get install wrk)';

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(path.join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** The generator to use, or an error message for the user (bad BENCH_LOADGEN, forced wrk missing). */
export function chooseLoadGenerator(forced: string | undefined): LoadGenerator | { error: string } {
  if (forced !== undefined && forced !== '' && forced !== 'wrk' && forced !== 'autocannon') {
    return { error: `BENCH_LOADGEN=${forced}: expected wrk or autocannon` };
  }
  const wrk = onPath('wrk');
  if (forced === 'wrk' && !wrk) return { error: `${WRK_MISSING}; BENCH_LOADGEN=wrk needs it` };
  if (wrk && forced !== 'autocannon') return { name: 'wrk', version: wrkVersion(), run: runWrk };
  return {
    name: 'autocannon',
    version: autocannonVersion(),
    run: runAutocannon,
    notice: wrk
      ? undefined
      : `${WRK_MISSING}: using autocannon, which takes most of a core ` +
        `itself; ratios are then limited by the load generator`,
  };
}
