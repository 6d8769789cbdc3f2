import type { TrackedEvent } from '../event/event.js';
import type { Trackable } from '../event/pixel-hit.js';

/** What a queue feeds: a storage engine or a handler. Called one event at a time, in order. */
export interface Consumer {
  process(event: TrackedEvent): void | Promise<void>;
}

/** Counters of one processor. `received = written + queued + dropped + failed` at every moment. */
export interface QueueCounters {
  readonly received: number;
  readonly queued: number;
  readonly written: number;
  readonly dropped: number;
  readonly failed: number;
  readonly capacity: number;
}

/**
 * What the dispatcher offers events to: a BoundedQueue in front of a consumer on this thread, or
 * the storage thread (src/storage-thread/), which takes pixel hits unparsed.
 */
export interface EventQueue {
  readonly capacity: number;
  /** True when `offer` takes PixelHits as they are (they are parsed elsewhere). */
  readonly takesHits: boolean;
  /**
   * Offers one event; returns false when it was dropped because the queue is full. Never waits.
   * `admitted`: the event's group already passed `fits`, it is taken whatever the bound says now.
   */
  offer(item: Trackable, admitted?: boolean): boolean;
  /**
   * Whether `count` events of `bytes` text (itemBytes) would all be taken by `offer` now. Used for
   * all-or-nothing admission: checked on every queue, then offered (`admitted`), in the same
   * synchronous turn.
   */
  fits(count: number, bytes: number): boolean;
  /** Resolves once every event offered before this call has been processed (written or failed). */
  barrier(): Promise<void>;
  /**
   * `ackMode=durable`, queues that keep events on disk: resolves true once every event taken before
   * the call is on disk, false if one of them may not be (then the sender must not be told 200).
   */
  whenDurable?(): Promise<boolean>;
  counters(): QueueCounters;
}
