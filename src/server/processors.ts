import type { EventQueue } from '../queue/event-queue.js';
import type { BoundedQueue } from '../queue/bounded-queue.js';
import type { StorageEngine } from '../storage/engine.js';
import type { Handler } from '../handlers/handler.js';

/**
 * What the collector's dispatcher feeds. The storage's lifecycle (open, flush, close, stats, ready)
 * is the engine's, or the storage thread's on its behalf; events reach it through `queue` only.
 */
export type Processor =
  | {
      readonly kind: 'storage';
      readonly name: string;
      readonly engineName: string;
      readonly engine: Omit<StorageEngine, 'write'>;
      readonly queue: EventQueue;
    }
  | {
      readonly kind: 'handler';
      readonly name: string;
      readonly handlerKind: string;
      readonly handler: Handler;
      readonly queue: BoundedQueue;
    };
