/**
 * The routes `paths.*` cannot take, with what serves them (src/config/validate-paths.ts): every
 * route but the renamable ones (the pixel, the snippet, /public/events) and the tracker inputs'
 * (added from src/inputs/registry.ts by src/server/plugins.ts). test/server/paths.test.ts checks
 * that this list and the routes a collector declares agree. A prefix ends in `*`.
 */
export const RESERVED_PATHS: Readonly<Record<string, string>> = Object.freeze({
  '/public/nothing': 'WT1 /public/nothing',
  '/isAlive': 'WT1 /isAlive',
  '/ready': 'the readiness check',
  '/metrics': 'the Prometheus metrics',
  '/internal': 'the live page',
  '/internal/*': 'the admin endpoints',
  '/public/globalId': 'the third-party cookie id',
  '/public/cookie/*': 'the opt-out cookie endpoints',
});
