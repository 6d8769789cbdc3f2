import type { Config } from '../config/schema.js';
import { Wt1Error } from '../errors.js';
import type { Input, InputContext } from '../inputs/input.js';
import { findInput } from '../inputs/registry.js';
import { inputContextOf, inputLimitsOf, inputRequestOf } from '../inputs/request.js';
import { VisitorHash } from '../inputs/visitor-hash.js';
import { encodeRecord, type ParseReply, type ParseRequest } from './protocol.js';

/**
 * The storage thread's side of `inputParsing=storageThread`: runs an input's `parse` on a request
 * the request thread read, with the same limits, allow-lists and visitor-hash secret, and answers
 * with the events as records (or the Wt1Error that refuses the request). Nothing is queued here:
 * the request thread admits the events (whole or 503) and they come back in a batch like any other.
 */
export class InputParser {
  private readonly hash: VisitorHash;
  private readonly contexts = new Map<string, { input: Input; context: InputContext }>();
  /** The `now` of the request being parsed: the visitor hash's day is the request's. */
  private now = 0;

  constructor(
    private readonly config: Config,
    visitorIdSecret: string,
  ) {
    this.hash = new VisitorHash(visitorIdSecret);
  }

  parse(request: ParseRequest): ParseReply {
    try {
      const { input, context } = this.contextOf(request.input);
      this.now = request.request.now;
      const body =
        request.body === null
          ? null
          : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
      const parsed = input.parse(inputRequestOf(request.request), body, context);
      const records: unknown[] = [];
      for (const event of parsed.events) encodeRecord(records, event);
      return { type: 'parsed', id: request.id, records, answer: parsed.answer, ignored: parsed.ignored };
    } catch (e) {
      const error = {
        message: e instanceof Error ? e.message : String(e),
        code: e instanceof Wt1Error ? e.code : undefined,
      };
      return { type: 'parsed', id: request.id, error };
    }
  }

  private contextOf(name: string): { input: Input; context: InputContext } {
    let found = this.contexts.get(name);
    if (found === undefined) {
      const input = findInput(name);
      if (input === undefined) throw new Error(`no input named ${name}`);
      const sites = input.builtin ? [] : (this.config.inputSites[name] ?? []);
      const context = inputContextOf(input, sites, inputLimitsOf(this.config.api), this.hash, () => this.now);
      found = { input, context };
      this.contexts.set(name, found);
    }
    return found;
  }
}
