import type { TrackedEvent } from '../event/event.js';
import type { InputAnswer, ParsedRequest } from '../inputs/input.js';
import type { InputRequestFacts } from '../inputs/request.js';
import { decodeRecords, type ParseReply, type ParseRequest } from './protocol.js';

/** One request of an input to parse on the storage thread. */
export interface ParseJob {
  readonly input: string;
  readonly request: InputRequestFacts;
  readonly body: Buffer | null;
}

type Pending = { resolve: (parsed: ParsedRequest) => void; reject: (error: Error) => void };

/**
 * The parse requests waiting for the storage thread's answer (`inputParsing=storageThread`), kept
 * apart from the thread's calls: they are answered out of turn, and a thread that dies fails them.
 */
export class ParseCalls {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  start(job: ParseJob, post: (message: ParseRequest) => void): Promise<ParsedRequest> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A small body may be a view of Node's 8 KiB pool, which would be copied whole: copied alone.
      const body =
        job.body === null || job.body.byteLength === job.body.buffer.byteLength ? job.body : new Uint8Array(job.body);
      post({ type: 'parse', id, input: job.input, request: job.request, body });
    });
  }

  /** The thread's answer: the events rebuilt from their records, or its error. */
  settle(reply: ParseReply, rebuildError: (error: NonNullable<ParseReply['error']>) => Error): void {
    const call = this.pending.get(reply.id);
    if (call === undefined) return;
    this.pending.delete(reply.id);
    if (reply.error) return call.reject(rebuildError(reply.error));
    const events: TrackedEvent[] = [];
    decodeRecords(reply.records ?? [], noHit, (event) => events.push(event));
    call.resolve({ events, answer: bufferBody(reply.answer), ignored: reply.ignored });
  }

  failAll(error: Error): void {
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}

const noHit = (): void => {
  throw new Error('a parse reply holds events only');
};

/** Structured cloning makes a Buffer a plain Uint8Array: the answer's body is a Buffer again. */
function bufferBody(answer: InputAnswer | undefined): InputAnswer | undefined {
  const body = answer?.body as Uint8Array | undefined;
  if (answer === undefined || !(body instanceof Uint8Array) || Buffer.isBuffer(body)) return answer;
  return { ...answer, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
}
