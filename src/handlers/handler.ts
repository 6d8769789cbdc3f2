import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { TrackedEvent } from '../event/event.js';
import type { ParamsOf, SpecTable } from '../config/spec.js';
import type { Config } from '../config/schema.js';

/**
 * A handler sees every event (through its own bounded queue, like the storage) and may answer HTTP
 * requests under /internal/handlers/NAME/. See docs/handlers.md for a worked example.
 */
export interface Handler {
  /** Called once per event, in order, never concurrently. Throwing counts the event as failed. */
  process(event: TrackedEvent): void | Promise<void>;
  /** Answers GET/POST /internal/handlers/NAME[/subPath] (already behind the admin protection). */
  http?(req: IncomingMessage, res: ServerResponse, subPath: string): void | Promise<void>;
  /** A JSON-able snapshot shown in /internal/live. */
  snapshot?(): unknown;
  close?(): void | Promise<void>;
}

export interface HandlerContext {
  readonly name: string;
  readonly config: Config;
  readonly logger: Logger;
  readonly now: () => number;
}

/** A handler: its params table (`as const satisfies SpecTable`) types the params it receives. */
export interface HandlerDescriptor<P extends SpecTable = SpecTable> {
  readonly name: string;
  readonly wt1ClassNames: readonly string[];
  readonly params: P;
  /** Param names accepted beyond `params` (e.g. /^sum\.[^.]+\.(filterKey|filterValue|valueKey)$/). */
  readonly dynamicParams?: RegExp;
  /**
   * Checks the params together, at config load, before anything starts: returns one message per
   * problem (each naming the param, relative to `handler.NAME.params.`), or none.
   */
  validate?(params: ParamsOf<P>, rawParams: Readonly<Record<string, string>>): string[];
  create(params: ParamsOf<P>, context: HandlerContext, rawParams: Readonly<Record<string, string>>): Handler;
}
