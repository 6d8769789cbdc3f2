import type { Worker } from 'node:cluster';
import promClient from 'prom-client';
import {
  addStatus,
  aggregateFlush,
  aggregateHandler,
  aggregateLive,
  countsOf,
  labelMetrics,
  type Live,
  type MetricJson,
  type WorkerInfo,
  type WorkerReport,
  type WorkerState,
} from './aggregate.js';
import type { Failure, PrimaryMessage, View, WorkerMessage } from './messages.js';

/** How long the primary waits for each worker's own view (a flush waits `flushTimeoutMs`). */
export const COLLECT_TIMEOUT_MS = 5_000;

/** What the primary keeps of one worker slot, across the processes that fill it. */
export interface SlotState {
  readonly index: number;
  worker: Worker | undefined;
  state: WorkerState;
  restarts: number;
  instanceId: string | undefined;
  /** The counters the current process last sent. */
  lastCounters: Live | undefined;
  /** Counts of the slot's earlier processes, added up when each died. */
  previous: Live | undefined;
}

interface Collecting {
  readonly expected: Set<number>;
  readonly values: Map<number, unknown>;
  readonly errors: Map<number, string>;
  done(): void;
}

/**
 * The primary's side of the views over every worker: a worker `ask`s, the hub sends `collect` to
 * every worker (the asking one included), waits for their `report`s (or their timeout), merges
 * them with src/cluster/aggregate.ts and `answer`s. It also keeps each worker's last counters, so
 * that a worker that dies leaves its counts to the slot (`previous`).
 */
export class ClusterHub {
  private nextId = 1;
  private readonly collecting = new Map<number, Collecting>();

  constructor(
    private readonly slots: readonly SlotState[],
    private readonly instanceId: string,
    private readonly flushTimeoutMs: number,
  ) {}

  /** A message of `slot`'s worker; returns false when it is not one of the hub's. */
  onMessage(slot: SlotState, worker: Worker, m: WorkerMessage): boolean {
    switch (m.wt1) {
      case 'counters':
        if (slot.worker === worker) slot.lastCounters = m.live;
        return true;
      case 'report': {
        const c = this.collecting.get(m.id);
        if (!c || !c.expected.has(slot.index)) return true;
        if (m.error) c.errors.set(slot.index, m.error.message);
        else c.values.set(slot.index, m.value);
        if (c.values.size + c.errors.size === c.expected.size) c.done();
        return true;
      }
      case 'ask':
        this.answer(m.view, m.name).then(
          (value) => send(worker, { wt1: 'answer', id: m.id, value }),
          (error: unknown) => send(worker, { wt1: 'answer', id: m.id, error: failure(error) }),
        );
        return true;
      default:
        return false;
    }
  }

  /** The slot's worker died: its last counts stay with the slot. */
  retire(slot: SlotState): void {
    slot.previous = addStatus(slot.previous, countsOf(slot.lastCounters)) as Live | undefined;
    slot.lastCounters = undefined;
  }

  /** A worker is gone mid-collect: stop waiting for it. */
  forget(slotIndex: number): void {
    for (const c of this.collecting.values()) {
      if (!c.expected.has(slotIndex) || c.values.has(slotIndex) || c.errors.has(slotIndex)) continue;
      c.errors.set(slotIndex, 'the worker exited');
      if (c.values.size + c.errors.size === c.expected.size) c.done();
    }
  }

  /** The merged view, as answered to the worker that asked. */
  async answer(view: View, name?: string): Promise<unknown> {
    const reports = await this.collect(view, name);
    switch (view) {
      case 'live':
        return aggregateLive(
          reports.map((r, i) => ({
            ...(r as WorkerReport<Live>),
            lastCounters: this.slots[i].lastCounters,
            previous: this.slots[i].previous,
          })),
          this.instanceId,
        );
      case 'metrics':
        return promClient.AggregatorRegistry.aggregate(labelMetrics(reports as WorkerReport<MetricJson[]>[])).metrics();
      case 'flush': {
        const failed = reports.filter((r) => r.value === undefined);
        if (failed.length > 0) {
          throw new FlushIncomplete(
            failed.map((r) => `${r.worker.name}: ${r.error ?? 'no answer'}`).join('; '),
            aggregateFlush(reports as WorkerReport<{ published: string[] }>[]),
          );
        }
        return aggregateFlush(reports as WorkerReport<{ published: string[] }>[]);
      }
      case 'handler': {
        const notFound = reports.find((r) => r.error?.includes('no handler named'));
        if (notFound) throw Object.assign(new Error(notFound.error), { wt1Code: 'WT1_ERR_NOT_FOUND' });
        return aggregateHandler(reports);
      }
    }
  }

  /** Every worker's own view, in slot order; a worker that did not answer in time has an error. */
  private collect(view: View, name: string | undefined): Promise<WorkerReport<unknown>[]> {
    const id = this.nextId++;
    const expected = new Set<number>();
    const c: Collecting = { expected, values: new Map(), errors: new Map(), done: () => {} };
    const finished = new Promise<void>((resolve) => {
      c.done = resolve;
    });
    this.collecting.set(id, c);
    for (const slot of this.slots) {
      const worker = slot.worker;
      if (!worker || !worker.isConnected() || slot.state !== 'running') continue;
      expected.add(slot.index);
      try {
        send(worker, { wt1: 'collect', id, view, name });
      } catch (error) {
        c.errors.set(slot.index, (error as Error).message);
      }
    }
    if (c.values.size + c.errors.size === expected.size) c.done();
    const timeoutMs = view === 'flush' ? this.flushTimeoutMs : COLLECT_TIMEOUT_MS;
    const timer = setTimeout(() => c.done(), timeoutMs);
    return finished.then(() => {
      clearTimeout(timer);
      this.collecting.delete(id);
      return this.slots.map((slot) => ({
        worker: this.info(slot),
        value: c.values.get(slot.index),
        error: c.values.has(slot.index)
          ? undefined
          : (c.errors.get(slot.index) ??
            (expected.has(slot.index) ? `no answer within ${timeoutMs / 1000} s` : `the worker is ${slot.state}`)),
      }));
    });
  }

  private info(slot: SlotState): WorkerInfo {
    return {
      name: `w${slot.index}`,
      slot: slot.index,
      pid: slot.worker?.process.pid,
      instanceId: slot.instanceId,
      state: slot.state,
      restarts: slot.restarts,
    };
  }
}

/** A flush that some worker could not do: answered 503, with what the others published. */
export class FlushIncomplete extends Error {
  constructor(
    readonly detail: string,
    readonly partial: Live,
  ) {
    super(detail);
  }
}

function send(worker: Worker, message: PrimaryMessage): void {
  if (worker.isConnected()) worker.send(message);
}

function failure(error: unknown): Failure {
  if (error instanceof FlushIncomplete) {
    return {
      code: 'WT1_ERR_CLUSTER_UNAVAILABLE',
      message:
        `A worker did not answer: the flush did not reach every worker (${error.detail}); published: ` +
        `${JSON.stringify((error.partial as { published: string[] }).published)}`,
    };
  }
  const code = (error as { wt1Code?: string }).wt1Code ?? 'WT1_ERR_INTERNAL';
  return { code, message: (error as Error).message };
}
