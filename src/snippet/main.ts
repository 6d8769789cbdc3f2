/**
 * The wt1 browser snippet, served by the collector at /track.js. A page declares
 * `var _wt1Q = _wt1Q || []`, pushes commands, and loads this script asynchronously; on load the
 * queued commands run in order and `_wt1Q` becomes an object whose `push` runs commands at once.
 */
import { run, trackerUrlBeside } from './tracker.js';

interface Queue {
  push(...commands: unknown[]): void;
}

const host = window as unknown as { _wt1Q?: unknown[] | Queue };
const queued = host._wt1Q;

// Loaded twice (two script tags): the first copy stays in charge.
if (!queued || Array.isArray(queued)) {
  // Set while this script first runs (null if it was inlined or bundled: then setTrackerUrl is needed).
  const script = document.currentScript as HTMLScriptElement | null;
  trackerUrlBeside((script && script.src) || '');
  host._wt1Q = {
    push(...commands: unknown[]) {
      for (const command of commands) run(command);
    },
  };
  if (queued) for (const command of queued) run(command);
}
