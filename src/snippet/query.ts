/** A flat map of param names to values, as carried in the hit and in the `__wt1vpc` / `__wt1spc` cookies. */
export type Params = Record<string, string>;

/** `encodeURIComponent` with every space as `+` (the original turned only the first `%20` into `+`). */
const encode = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s; // a malformed escape in an old cookie is kept as written
  }
};

/** `{a: "1", b: "x y"}` gives `a=1&b=x+y`. */
export function encodeQuery(params: Params): string {
  return Object.keys(params)
    .map((k) => encode(k) + '=' + encode(params[k]))
    .join('&');
}

/** The reverse of `encodeQuery`; also reads the cookies written by the original WT1 snippet. */
export function decodeQuery(query: string): Params {
  const params: Params = {};
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0) params[decode(pair.slice(0, eq))] = decode(pair.slice(eq + 1));
  }
  return params;
}
