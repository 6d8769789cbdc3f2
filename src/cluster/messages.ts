/**
 * Messages between the cluster primary and its workers (over the node:cluster IPC channel).
 *
 * The views over all workers are asked on demand: the worker that got the HTTP request `ask`s the
 * primary, the primary sends `collect` to every worker, each `report`s its own view, and the
 * primary `answer`s the asking worker with the merge. Every second a worker also sends its
 * `counters`, so that the counts of a worker that dies are not lost with it.
 */
export type View = 'live' | 'metrics' | 'flush' | 'handler';

export type WorkerMessage =
  | { readonly wt1: 'listening'; readonly slot: number; readonly port: number; readonly instanceId: string }
  | { readonly wt1: 'ask'; readonly id: number; readonly view: View; readonly name?: string }
  | { readonly wt1: 'report'; readonly id: number; readonly value?: unknown; readonly error?: Failure }
  | { readonly wt1: 'counters'; readonly live: Record<string, unknown> };

export type PrimaryMessage =
  | { readonly wt1: 'stop' }
  | { readonly wt1: 'collect'; readonly id: number; readonly view: View; readonly name?: string }
  | { readonly wt1: 'answer'; readonly id: number; readonly value?: unknown; readonly error?: Failure };

/** A Wt1Error as it crosses the channel. */
export interface Failure {
  readonly code: string;
  readonly message: string;
}

const WORKER_KINDS = new Set(['listening', 'ask', 'report', 'counters']);
const PRIMARY_KINDS = new Set(['stop', 'collect', 'answer']);

function kindOf(m: unknown): unknown {
  return typeof m === 'object' && m !== null ? (m as { wt1?: unknown }).wt1 : undefined;
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return WORKER_KINDS.has(kindOf(m) as string);
}

export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return PRIMARY_KINDS.has(kindOf(m) as string);
}
