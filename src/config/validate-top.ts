import { readKeys, type ParamsOf, type RawValue } from './spec.js';
import { TOP_LEVEL_KEYS } from './schema.js';
import { didYouMean } from './suggest.js';
import { TrustedProxies } from '../event/client-address.js';

export type TopLevelValues = ParamsOf<typeof TOP_LEVEL_KEYS>;

/** Keys of other namespaces (`storage.params.*`, `handler.*`, `inputs.*`), checked by their own validators. */
const OTHER_NAMESPACES = /^(storage\.params|handler|inputs)\./;

/**
 * The top-level keys: converted by their spec, unknown ones refused with the nearest known key
 * (`knownKeys`: every key name, engine params included, so `storage.param.rootDir` finds its match),
 * and the rules between keys.
 */
export function validateTopLevel(
  raw: ReadonlyMap<string, RawValue>,
  knownKeys: readonly string[],
  problems: string[],
): TopLevelValues {
  const top = readKeys('', raw, TOP_LEVEL_KEYS, problems) as TopLevelValues;
  for (const key of raw.keys()) {
    if (key in TOP_LEVEL_KEYS || OTHER_NAMESPACES.test(key)) continue;
    problems.push(`${key}: unknown configuration key${didYouMean(key, knownKeys)}`);
  }

  problems.push(...TrustedProxies.validate([...top.trustedProxies]));
  const callback = checkCallbackUrl(top.optoutCallbackUrl);
  if (callback) problems.push(`optoutCallbackUrl: ${JSON.stringify(top.optoutCallbackUrl)} ${callback}`);
  // Sent as the P3P header: a character Node refuses in a header would fail every cookie answer.
  if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(top.p3pHeader)) {
    problems.push(
      `p3pHeader: ${JSON.stringify(top.p3pHeader)} must be a valid header value (no line breaks or other control ` +
        `characters, no characters past U+00FF)`,
    );
  }
  if (top.metricsPort !== 0 && top.metricsPort === top.port) {
    problems.push(
      `metricsPort: ${String(top.metricsPort)} is also port: give /metrics another port, or 0 to serve it on the ` +
        `main port`,
    );
  }
  if (top.ackMode === 'durable' && !top.storageThread) {
    problems.push('ackMode: durable needs storageThread=true (the group commit runs on the storage thread)');
  }
  if (top.isolateRequestThread && top.workers > 1) {
    problems.push(
      `isolateRequestThread: true needs workers=1 (workers is ${String(top.workers)}: each worker process would ` +
        `keep the same CPU for itself)`,
    );
  }
  return top;
}

/**
 * `optoutCallbackUrl` must be an absolute http(s) URL or a path on this host (`/...`): the opt-out
 * status redirects there, and a scheme like `javascript:` or a `//host` path must not slip in.
 * Returns what is wrong, or undefined.
 */
function checkCallbackUrl(value: string): string | undefined {
  if (value === '') return undefined;
  // It goes into a Location header as is: printable ASCII only (percent-encode the rest).
  if (!/^[\x21-\x7e]+$/.test(value) || value.includes('\\'))
    return 'must be printable ASCII without spaces or backslashes (percent-encode the rest)';
  if (value.startsWith('/'))
    return value.startsWith('//') ? 'must be an absolute http(s) URL or a path starting with a single /' : undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL (an absolute http(s) URL or a path starting with /)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  return undefined;
}
