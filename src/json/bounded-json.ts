import { Wt1Error } from '../errors.js';

/**
 * Bounds on the shape of a JSON document, checked on its bytes before anything is built. Each is
 * named by its config key in refusals (`api.maxDepth`...), so a sender knows which one it passed.
 */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects (the top-level value is depth 1). */
  readonly maxDepth: number;
  /** Most members in one object. */
  readonly maxKeys: number;
  /** Most elements in one array. */
  readonly maxArrayLength: number;
  /** Most members and elements in the whole document. */
  readonly maxValues: number;
}

/** The config key prefix of the limits, for the refusals' wording. */
const KEYS = 'api.';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const ARRAY = 1;

/**
 * Refuses (413 WT1_ERR_JSON_LIMIT) a document that passes a limit, from a single pass over its
 * bytes that allocates two small arrays (maxDepth + 1 entries): nothing of the document is built,
 * and the pass stops at the first byte past a limit. 5 million `[` are refused after maxDepth + 1
 * bytes; a 3-million-element array after maxArrayLength elements. JSON.parse would build all of it
 * first, blocking the event loop for seconds and taking hundreds of MB (issue 15 §3).
 * It checks structure only: a malformed document passes here and is refused by the parser.
 */
export function checkJsonBounds(bytes: Uint8Array, limits: JsonLimits, start = 0): void {
  const { maxDepth, maxKeys, maxArrayLength, maxValues } = limits;
  const kinds = new Uint8Array(maxDepth + 1);
  const counts = new Uint32Array(maxDepth + 1);
  const n = bytes.length;
  let depth = 0;
  let values = 0;
  // True right after `[`, `{` or `,`: the next token starts a member or an element.
  let entryNext = false;
  for (let i = start; i < n; i++) {
    const c = bytes[i];
    if (c <= 0x20 || c === COLON) continue;
    if (c === COMMA) {
      entryNext = depth > 0;
      continue;
    }
    if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      entryNext = false;
      if (depth > 0) depth--;
      continue;
    }
    if (entryNext) {
      entryNext = false;
      const count = ++counts[depth];
      if (kinds[depth] === ARRAY) {
        if (count > maxArrayLength)
          throw limit(`an array has more than ${KEYS}maxArrayLength (${maxArrayLength}) elements (byte ${i})`);
      } else if (count > maxKeys) {
        throw limit(`an object has more than ${KEYS}maxKeys (${maxKeys}) members (byte ${i})`);
      }
      if (++values > maxValues)
        throw limit(`the document has more than ${KEYS}maxValues (${maxValues}) values (byte ${i})`);
    }
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) throw limit(`the document nests deeper than ${KEYS}maxDepth (${maxDepth}) (byte ${i})`);
      kinds[depth] = c === OPEN_ARRAY ? ARRAY : 0;
      counts[depth] = 0;
      entryNext = true;
    } else if (c === QUOTE) {
      // Skip the string: only its closing quote matters.
      for (i++; i < n; i++) {
        const d = bytes[i];
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    }
  }
}

/**
 * A request body as JSON within `limits`: 400 WT1_ERR_BAD_REQUEST when empty or malformed, 413
 * WT1_ERR_JSON_LIMIT past a limit (checked before parsing). A UTF-8 byte order mark is skipped
 * (some .NET and Windows clients send one). For every JSON wire format (the events API, inputs).
 */
export function parseBoundedJson(body: Uint8Array, limits: JsonLimits): unknown {
  if (body.length === 0) throw new Wt1Error('WT1_ERR_BAD_REQUEST', 'the body is empty');
  const start = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  checkJsonBounds(body, limits, start);
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8', start);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Wt1Error('WT1_ERR_BAD_REQUEST', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** parseBoundedJson for a body already decoded as text (e.g. a JSON string inside a form field). */
export function parseBoundedJsonText(text: string, limits: JsonLimits): unknown {
  return parseBoundedJson(Buffer.from(text, 'utf8'), limits);
}

function limit(detail: string): Wt1Error {
  return new Wt1Error('WT1_ERR_JSON_LIMIT', detail);
}
