import type { AppContext } from '../context.js';
import type { InputEndpoint } from '../../inputs/input.js';

/** An endpoint's path, as renamed by its `paths.*` key if it has one (docs/first-party.md). */
export function pathOf(ctx: AppContext, endpoint: InputEndpoint): string {
  if (endpoint.pathKey === undefined) return endpoint.path;
  const renamed = (ctx.config.paths as Readonly<Record<string, unknown>>)[endpoint.pathKey];
  return typeof renamed === 'string' ? renamed : endpoint.path;
}
