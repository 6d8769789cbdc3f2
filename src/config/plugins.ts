import type { SpecTable } from './spec.js';

/**
 * What the config loader needs to know of an engine or a handler: its names and its params table.
 * The storage and handler descriptors satisfy these shapes; config/ never imports them (it sits
 * below them: engines and handlers read the Config type from here).
 */
export interface EngineSpec {
  readonly name: string;
  readonly wt1ClassNames: readonly string[];
  readonly params: SpecTable;
  /** Problems between params, as `storage.params.KEY: what` lines. */
  validate?(params: Readonly<Record<string, unknown>>): string[];
}

export interface HandlerSpec {
  readonly name: string;
  readonly wt1ClassNames: readonly string[];
  readonly params: SpecTable;
  /** Param names accepted beyond `params`. */
  readonly dynamicParams?: RegExp;
  /** Problems between params, each relative to `handler.NAME.params.`. */
  validate?(params: Readonly<Record<string, unknown>>, rawParams: Readonly<Record<string, string>>): string[];
}

/** What the config loader needs to know of a tracker input: its name and the key of its allow-list of sites. */
export interface InputSpec {
  readonly name: string;
  /** `inputs.NAME.<sitesKey>`, e.g. `writeKeys`, `domains`. */
  readonly sitesKey: string;
}

/**
 * The registries a config is validated against, passed in by whoever composes wt1 (the CLI, or a
 * program embedding it with its own handlers): nothing global, nothing to register beforehand.
 */
export interface Plugins {
  readonly engines: readonly EngineSpec[];
  readonly handlers: readonly HandlerSpec[];
  /** Tracker inputs (src/inputs/); none: only `inputs=all|none` is accepted. */
  readonly inputs?: readonly InputSpec[];
  /** WT1 class names deliberately not provided, with what to use instead. */
  readonly unsupportedEngines?: Readonly<Record<string, string>>;
  /** Column names of the log-file format, which inlined param names must not take. */
  readonly reservedColumns?: readonly string[];
  /**
   * Paths of the routes `paths.*` cannot rename (exact, or a prefix ending in `*`), each with what
   * serves it, for the collision check (src/config/validate-paths.ts).
   */
  readonly reservedPaths?: Readonly<Record<string, string>>;
}
