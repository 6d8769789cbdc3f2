/**
 * The load of the ackMode=durable tests: GET and POST pixel hits and API messages of two events, each
 * event with a unique `id=` param (g, p, a...x/y), from `concurrency` loops until `stop.now`; the ids of
 * the events answered 200 go into `acked`. A refused (503) or failed request (process killed) is not acked.
 */
export async function load(
  url: string,
  acked: Set<string>,
  stop: { now: boolean },
  concurrency: number,
  refusals: Refusals = { count: 0, withoutRetryAfter: 0, codes: new Set() },
): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (!stop.now) {
      const id = next++;
      try {
        const { res, ids } = await sendMixed(url, id);
        if (res.status === 503) {
          refusals.count++;
          if (res.headers.get('retry-after') === null) refusals.withoutRetryAfter++;
          refusals.codes.add(res.headers.get('x-wt1-error') ?? '');
        }
        if (res.status === 200) for (const event of ids) acked.add(event);
      } catch {
        // the process was killed: this one was not acknowledged
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

/**
 * Request number `id` of that load (GET pixel, POST pixel, API message of two events, in turn),
 * sent and its body read: the answer and the `id=` of each event it carries.
 */
export async function sendMixed(url: string, id: number): Promise<{ res: Response; ids: string[] }> {
  const kind = id % 3;
  let res: Response;
  if (kind === 0) res = await fetch(`${url}/public/p.gif?id=g${id}`);
  else if (kind === 1)
    res = await fetch(`${url}/public/p.gif`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: `id=p${id}`,
    });
  else
    res = await fetch(`${url}/public/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        events: [
          { type: 'e', params: `id=a${id}x` },
          { type: 'e', params: `id=a${id}y` },
        ],
      }),
    });
  await res.arrayBuffer();
  return { res, ids: kind === 0 ? [`g${id}`] : kind === 1 ? [`p${id}`] : [`a${id}x`, `a${id}y`] };
}

/** The 503 answers a load got. */
export interface Refusals {
  count: number;
  withoutRetryAfter: number;
  codes: Set<string>;
}
