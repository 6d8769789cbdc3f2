/** `wt1/client`: a typed client of the collector's JSON API (`POST /public/events`) for Node 20+. */
export {
  createClient,
  endpointOf,
  type ClientOptions,
  type ClientStats,
  type Identity,
  type TrackInput,
  type Wt1Client,
} from './client.js';
export type { ClientLogger } from './logger.js';
export type { Params } from './params.js';
export { encodeParams } from './params.js';
export { backoffDelay } from '../util/backoff.js';
