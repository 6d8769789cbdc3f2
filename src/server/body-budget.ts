import { Wt1Error } from '../errors.js';

/** One request's share of a BodyBudget: bytes taken as its body arrives, all released at the end. */
export interface BodyReservation {
  /** Takes `bytes` more; false (nothing taken) when other requests hold too much already. */
  take(bytes: number): boolean;
  /** Gives back everything this request took. Idempotent. */
  release(): void;
  /** The answer when `take` said no: 503 (WT1_ERR_OVERLOADED). */
  refusal(): Wt1Error;
}

/**
 * The bytes of request bodies being read, gunzipped and parsed at the same time. Each body has its
 * own limits (`api.maxBodySize`, `api.maxDecompressedSize`); this bounds their sum, so that many
 * large bodies or gzip bombs at once cannot take the memory: the request that would pass it is
 * answered 503 with Retry-After. A request alone always gets its bytes (the per-body limits hold).
 */
export class BodyBudget {
  private used = 0;

  /** `limit` in bytes; 0: no bound. */
  constructor(private readonly limit: number) {}

  reserve(): BodyReservation {
    let mine = 0;
    return {
      take: (bytes) => {
        if (this.limit > 0 && this.used + bytes > this.limit && this.used > mine) return false;
        mine += bytes;
        this.used += bytes;
        return true;
      },
      release: () => {
        this.used -= mine;
        mine = 0;
      },
      refusal: () =>
        new Wt1Error(
          'WT1_ERR_OVERLOADED',
          `request bodies being read at once passed api.maxInFlightBytes (${this.limit} bytes); retry shortly`,
        ),
    };
  }
}
