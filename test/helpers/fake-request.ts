import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** What a test does with a FakeRequest beside handing it to the code under test. */
export interface RequestControls {
  /** Sends these chunks of the body (strings as UTF-8). */
  send(...chunks: (string | Buffer)[]): this;
  /** Ends the body. */
  end(): this;
  /** How many 'data' listeners the body has: 0 once a reader has let go of it. */
  dataListeners(): number;
}

export type FakeRequest = IncomingMessage & RequestControls;

/**
 * A request body for the body readers' unit tests: a plain Readable with `headers`, driven chunk by
 * chunk by the test (no socket, no server), so each limit and error path can be reached exactly.
 */
export function fakeRequest(headers: Record<string, string> = {}): FakeRequest {
  const body = new Readable({ read() {} });
  const controls: RequestControls = {
    send(...chunks) {
      for (const c of chunks) body.push(typeof c === 'string' ? Buffer.from(c) : c);
      return this;
    },
    end() {
      body.push(null);
      return this;
    },
    dataListeners: () => body.listenerCount('data'),
  };
  return Object.assign(body, { headers }, controls) as unknown as FakeRequest;
}
