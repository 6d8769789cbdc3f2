import { headerText } from '../event/pixel-hit.js';
import { Wt1Error } from '../errors.js';
import type { Input, InputContext, InputLimits, InputRequest } from './input.js';
import type { VisitorHash } from './visitor-hash.js';

/**
 * What an input's `parse` is given of a request, as plain data: it can be posted to the storage
 * thread (`inputParsing=storageThread`) and turned into the same InputRequest there.
 */
export interface InputRequestFacts {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly now: number;
  readonly clientAddress: string;
  /** Node's `req.headers` (lower-case names; latin1 text). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export function inputRequestOf(facts: InputRequestFacts): InputRequest {
  const h = facts.headers;
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  return {
    method: facts.method,
    path: facts.path,
    query: facts.query,
    now: facts.now,
    clientAddress: facts.clientAddress,
    userAgent: headerText(one(h['user-agent'])),
    referer: headerText(one(h.referer)),
    acceptLanguage: one(h['accept-language']),
    authorization: one(h.authorization),
    header: (headerName) => {
      const v = h[headerName];
      return Array.isArray(v) ? v[0] : headerText(v);
    },
  };
}

/**
 * The context an input parses with: the limits, its allow-list of sites (`inputs.NAME.<sitesKey>`;
 * empty: any) and the cookieless visitor hash (of the day of the request's `now`).
 */
export function inputContextOf(
  input: Input,
  sites: readonly string[],
  limits: InputLimits,
  hash: VisitorHash,
  now: () => number,
): InputContext {
  const name = input.name;
  const allowed = sites.length === 0 ? null : new Set(sites);
  return {
    limits,
    checkSite(site) {
      if (allowed === null) return;
      if (site === null || site === '')
        throw new Wt1Error(
          'WT1_ERR_FORBIDDEN',
          `${name}: the request names no site, and inputs.${name}.${input.sitesKey} is set`,
        );
      if (!allowed.has(site))
        throw new Wt1Error(
          'WT1_ERR_FORBIDDEN',
          `${name}: ${JSON.stringify(site.slice(0, 100))} is not in inputs.${name}.${input.sitesKey}`,
        );
    },
    visitorHash: (site, address, ua) => hash.id(now(), site, address, ua),
  };
}

/** The `api.*` limits every input shares. */
export function inputLimitsOf(api: InputLimits): InputLimits {
  return {
    maxEvents: api.maxEvents,
    maxFieldLength: api.maxFieldLength,
    maxDepth: api.maxDepth,
    maxKeys: api.maxKeys,
    maxArrayLength: api.maxArrayLength,
    maxValues: api.maxValues,
  };
}
