/** Public API of the wt1 package. */
export { createCollector, type Collector, type CollectorOptions } from './server/app.js';
export { readConfigFile } from './config/load.js';
export { loadConfig, validateConfig, BUILTIN_PLUGINS } from './server/plugins.js';
export type { Plugins } from './config/plugins.js';
export type { Config } from './config/schema.js';
export type { TrackedEvent } from './event/event.js';
export type { StorageEngine, EngineDescriptor, EngineContext, FlushResult } from './storage/engine.js';
export type { Handler, HandlerDescriptor, HandlerContext } from './handlers/handler.js';
export { HANDLERS, withHandlers } from './handlers/registry.js';
export { ENGINES, withEngines } from './storage/registry.js';
export { Wt1Error, ConfigError, ERRORS, type ErrorCode } from './errors.js';
