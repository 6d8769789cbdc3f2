import type { ClusterLink } from '../server/cluster-link.js';
import type { AppContext } from '../server/context.js';
import { flushLocal, handlerSnapshot } from '../server/flush.js';
import { liveSnapshot } from '../server/live-snapshot.js';
import { ERRORS, Wt1Error, type ErrorCode } from '../errors.js';
import type { Failure, PrimaryMessage, View, WorkerMessage } from './messages.js';

/** How long a worker waits for the primary's merged answer (a flush waits `flushTimeoutMs`). */
export const ASK_TIMEOUT_MS = 10_000;
/** How often a worker hands its counters to the primary, which keeps them when the worker dies. */
export const COUNTERS_INTERVAL_MS = 1_000;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The worker's end of the cluster channel: asks the primary for the views over every worker (the
 * ClusterLink the routes use), and answers the primary's `collect` with this worker's own view.
 */
export class WorkerLink implements ClusterLink {
  private context: AppContext | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private countersTimer: NodeJS.Timeout | undefined;

  /** `send` calls `sent` once the message is handed to the channel (or could not be). */
  constructor(
    private readonly send: (message: WorkerMessage, sent?: () => void) => void,
    private readonly flushTimeoutMs: number,
  ) {}

  /** Binds this worker's collector (its view is what `collect` answers) and starts sending its counters. */
  attach(context: AppContext): void {
    this.context = context;
    this.countersTimer = setInterval(() => this.sendCounters(), COUNTERS_INTERVAL_MS);
    this.countersTimer.unref();
  }

  /** Sends the counters one last time (at the end of a shutdown) and stops; resolves once sent. */
  detach(): Promise<void> {
    if (this.countersTimer) clearInterval(this.countersTimer);
    this.countersTimer = undefined;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000); // a closed channel never calls back
      this.sendCounters(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  live(): Promise<Record<string, unknown>> {
    return this.ask('live') as Promise<Record<string, unknown>>;
  }

  metrics(): Promise<string> {
    return this.ask('metrics') as Promise<string>;
  }

  flush(): Promise<Record<string, unknown>> {
    return this.ask('flush') as Promise<Record<string, unknown>>;
  }

  handler(name: string): Promise<unknown> {
    return this.ask('handler', name);
  }

  /** Handles a message from the primary; returns false when it is not one of the link's. */
  onMessage(m: PrimaryMessage): boolean {
    if (m.wt1 === 'answer') {
      const p = this.pending.get(m.id);
      if (!p) return true; // answered after its timeout
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error) p.reject(toError(m.error));
      else p.resolve(m.value);
      return true;
    }
    if (m.wt1 === 'collect') {
      this.collect(m.view, m.name).then(
        (value) => this.send({ wt1: 'report', id: m.id, value }),
        (error: unknown) => this.send({ wt1: 'report', id: m.id, error: toFailure(error) }),
      );
      return true;
    }
    return false;
  }

  /** The primary is gone: every question fails now rather than at its timeout. */
  disconnected(): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new Wt1Error('WT1_ERR_CLUSTER_UNAVAILABLE', 'the cluster primary is gone'));
    }
  }

  private ask(view: View, name?: string): Promise<unknown> {
    const id = this.nextId++;
    const timeoutMs = view === 'flush' ? this.flushTimeoutMs + ASK_TIMEOUT_MS : ASK_TIMEOUT_MS;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Wt1Error(
            'WT1_ERR_CLUSTER_UNAVAILABLE',
            `the cluster primary did not answer within ${timeoutMs / 1000} s`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.send({ wt1: 'ask', id, view, name });
      } catch (error) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(
          new Wt1Error('WT1_ERR_CLUSTER_UNAVAILABLE', `cannot reach the cluster primary: ${(error as Error).message}`),
        );
      }
    });
  }

  /** This worker's own view. */
  private async collect(view: View, name: string | undefined): Promise<unknown> {
    const ctx = this.context;
    if (!ctx) throw new Wt1Error('WT1_ERR_CLUSTER_UNAVAILABLE', 'the worker is starting');
    switch (view) {
      case 'live':
        return liveSnapshot(ctx);
      case 'metrics':
        return ctx.metrics.json();
      case 'flush':
        return { published: await flushLocal(ctx) };
      case 'handler': {
        const found = handlerSnapshot(ctx, name ?? '');
        if (!found)
          throw new Wt1Error('WT1_ERR_NOT_FOUND', `no handler named ${JSON.stringify((name ?? '').slice(0, 100))}`);
        return found.snapshot;
      }
    }
  }

  private sendCounters(sent?: () => void): void {
    const ctx = this.context;
    if (!ctx) return sent?.();
    // Counters only: the events (lastEvents, the original's lastRequests) are asked for when shown.
    const {
      lastEvents: _events,
      lastRequests: _requests,
      ...live
    } = liveSnapshot(ctx) as unknown as Record<string, unknown>;
    try {
      this.send({ wt1: 'counters', live }, sent);
    } catch {
      // The channel is closing: the primary keeps the previous counters.
      sent?.();
    }
  }
}

function toFailure(error: unknown): Failure {
  if (error instanceof Wt1Error) return { code: error.code, message: error.message };
  return { code: 'WT1_ERR_INTERNAL', message: (error as Error)?.message ?? String(error) };
}

/** A Failure back into a Wt1Error with its code (the message already carries the detail). */
function toError(failure: Failure): Error {
  const error = new Wt1Error(failure.code in ERRORS ? (failure.code as ErrorCode) : 'WT1_ERR_INTERNAL');
  error.message = failure.message;
  return error;
}
