import type { Plugins } from './plugins.js';

/** Characters of a path as a route matches it: no query, fragment, space, or `*` (the router's prefix mark). */
const PATH = /^\/[A-Za-z0-9\-._~!$&'()+,;=:@/%]*$/;

/**
 * The public paths an operator may rename (`paths.pixel`, `paths.snippet`, `paths.events`,
 * docs/first-party.md), checked once: each starts with `/`, holds only path characters, and takes
 * no other route's path (another `paths.*` value, or one of `reservedPaths`, a prefix included).
 * Unknown `paths.*` keys are refused with the top-level ones (their did-you-mean).
 */
export function validatePaths(
  paths: Readonly<Record<string, string | readonly string[]>>,
  plugins: Plugins,
  problems: string[],
): void {
  const taken = new Map<string, string>(); // path -> the key that took it
  for (const [name, value] of Object.entries(paths)) {
    const key = `paths.${name}`;
    const list = typeof value === 'string' ? [value] : value;
    if (list.length === 0) problems.push(`${key}: must name at least one path`);
    for (const path of list) {
      const problem = checkPath(path, plugins.reservedPaths ?? {});
      const other = taken.get(path);
      if (problem) problems.push(`${key}: ${JSON.stringify(path)} ${problem}`);
      else if (other !== undefined)
        problems.push(
          `${key}: ${JSON.stringify(path)} is also ${other === key ? 'listed twice in it' : other}: give each its own`,
        );
      taken.set(path, key);
    }
  }
}

function checkPath(path: string, reserved: Readonly<Record<string, string>>): string | undefined {
  if (!path.startsWith('/')) return 'must start with /';
  if (path.startsWith('//')) return 'must start with a single /';
  if (!PATH.test(path)) return 'may hold only URL path characters (no ?, #, * or spaces; percent-encode the rest)';
  for (const [route, owner] of Object.entries(reserved)) {
    const prefix = route.endsWith('*') ? route.slice(0, -1) : undefined;
    if (prefix === undefined ? path === route : path.startsWith(prefix))
      return `is already the path of ${owner} (${route}): choose another`;
  }
  return undefined;
}
