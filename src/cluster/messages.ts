/** Messages between the cluster primary and its workers (over the node:cluster IPC channel). */
export type WorkerMessage = { readonly wt1: 'listening'; readonly slot: number; readonly port: number; readonly instanceId: string };
export type PrimaryMessage = { readonly wt1: 'stop' };

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && (m as { wt1?: unknown }).wt1 === 'listening';
}

export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return typeof m === 'object' && m !== null && (m as { wt1?: unknown }).wt1 === 'stop';
}
