import assert from 'node:assert/strict';

export interface BurstResult {
  /** Events of the messages answered 200. */
  readonly acceptedEvents: number;
  /** 503 WT1_ERR_OVERLOADED answers, each retried after 20 ms as a server-side client would. */
  readonly refused: number;
}

/**
 * Posts `messages` JSON API messages of `perMessage` events from `senders` concurrent senders,
 * retrying each 503 until it is answered 200; any other answer fails the test.
 */
export async function sendApiBurst(
  url: string,
  { messages, perMessage, senders = 8 }: { messages: number; perMessage: number; senders?: number },
): Promise<BurstResult> {
  let acceptedEvents = 0;
  let refused = 0;
  const send = async (m: number): Promise<void> => {
    const body = JSON.stringify({
      visitorId: `v${m}`,
      events: Array.from({ length: perMessage }, (_, i) => ({ type: 'event', params: { m, i } })),
    });
    for (;;) {
      const res = await fetch(`${url}/public/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      if (res.status === 200) {
        acceptedEvents += perMessage;
        return;
      }
      assert.equal(res.status, 503, `message ${m}: unexpected status ${res.status}`);
      assert.equal(res.headers.get('x-wt1-error'), 'WT1_ERR_OVERLOADED');
      refused++;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const queue = Array.from({ length: messages }, (_, m) => m);
  await Promise.all(
    Array.from({ length: senders }, async () => {
      for (let m = queue.shift(); m !== undefined; m = queue.shift()) await send(m);
    }),
  );
  return { acceptedEvents, refused };
}
