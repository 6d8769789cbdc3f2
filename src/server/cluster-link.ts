/**
 * What a collector asks when it is one worker of `wt1 serve --workers N`: the views over every
 * worker, which the cluster primary gathers and merges (src/cluster/). The server only knows this
 * interface, so that it never imports the cluster code above it. A rejection is a Wt1Error
 * (WT1_ERR_CLUSTER_UNAVAILABLE when a worker or the primary did not answer).
 */
export interface ClusterLink {
  /** /internal/live over every worker: counters summed, last events merged, the workers listed. */
  live(): Promise<Record<string, unknown>>;
  /** The Prometheus text of every worker, each sample labelled `worker="wN"`. */
  metrics(): Promise<string>;
  /** /internal/flush on every worker; resolves once all have published. */
  flush(): Promise<Record<string, unknown>>;
  /** GET /internal/handlers/NAME: the handler's snapshots of every worker, merged. */
  handler(name: string): Promise<unknown>;
}
