import { createHmac, randomBytes } from 'node:crypto';

/**
 * Visitor ids for cookieless trackers (Plausible, Umami), computed as they compute theirs: a hash
 * of the site, the client address and the user agent, salted with a secret that changes every
 * day (UTC). The same visitor gets the same id all day on every instance and worker sharing
 * `visitorIdSalt`; ids of two days cannot be linked without the secret; no cookie is set.
 */
/**
 * This process's secret when `visitorIdSalt` is empty: one for the process, so the request thread
 * and the storage thread (where inputs may parse) hash alike; it is handed to the storage thread.
 */
export const PROCESS_VISITOR_SECRET = randomBytes(32).toString('hex');

export class VisitorHash {
  private day = -1;
  private key: Buffer = Buffer.alloc(0);

  /** `secret`: `visitorIdSalt`; '' gives a random one for this process (ids then differ between processes). */
  constructor(secret: string) {
    this.secret = secret === '' ? PROCESS_VISITOR_SECRET : secret;
  }

  private readonly secret: string;

  /** 32 hex digits. `now`: ms since epoch, picks the day. */
  id(now: number, site: string, clientAddress: string, userAgent: string): string {
    const day = Math.floor(now / 86_400_000);
    if (day !== this.day) {
      // The day's salt: derived from the secret, so every instance derives the same one.
      this.key = createHmac('sha256', this.secret).update(`wt1-visitor-salt:${day}`).digest();
      this.day = day;
    }
    return createHmac('sha256', this.key).update(`${site}\n${clientAddress}\n${userAgent}`).digest('hex').slice(0, 32);
  }
}
