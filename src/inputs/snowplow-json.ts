import { Wt1Error } from '../errors.js';
import { parseBoundedJsonText } from '../json/bounded-json.js';
import type { InputLimits } from './input.js';
import { bad, isObject, type Json } from './fields.js';

export const NAME = 'snowplow';

/** A self-describing JSON: the Iglu URI of its schema, the schema's name, its data. */
export interface SelfDescribing {
  readonly schema: string;
  readonly name: string;
  readonly data: Json;
}

/** `iglu:vendor/name/format/model-revision-addition`. */
const IGLU = /^iglu:[A-Za-z0-9_.-]+\/([A-Za-z0-9_.-]+)\/[A-Za-z0-9_.-]+\/\d+-\d+-\d+$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A self-describing event's payload: `ue_pr` (JSON text) or `ue_px` (its base64), an
 * `unstruct_event` envelope around `{schema, data}`. Null when the event has neither field.
 */
export function unstructEvent(
  fields: ReadonlyMap<string, string>,
  where: string,
  limits: InputLimits,
): SelfDescribing | null {
  const found = jsonField(fields, 'ue_pr', 'ue_px', where, limits);
  if (found === null) return null;
  const [field, outer] = found;
  if (!isObject(outer)) throw bad(NAME, `${field} must be a JSON object {schema, data}`);
  return selfDescribing(outer.data, `${field}'s data`);
}

/**
 * The context entities of an event: `co` (JSON text) and/or `cx` (its base64), each a `contexts`
 * envelope whose data is an array of `{schema, data}`.
 */
export function contextEntities(
  fields: ReadonlyMap<string, string>,
  where: string,
  limits: InputLimits,
): SelfDescribing[] {
  const entities: SelfDescribing[] = [];
  for (const found of [jsonField(fields, 'co', null, where, limits), jsonField(fields, null, 'cx', where, limits)]) {
    if (found === null) continue;
    const [field, outer] = found;
    if (!isObject(outer) || !Array.isArray(outer.data))
      throw bad(NAME, `${field} must be a JSON object {schema, data: [...]}`);
    for (const [i, entity] of outer.data.entries()) entities.push(selfDescribing(entity, `${field}'s data[${i}]`));
  }
  return entities;
}

function selfDescribing(value: unknown, where: string): SelfDescribing {
  if (!isObject(value)) throw bad(NAME, `${where} must be an object {schema, data}`);
  const schema = value.schema;
  if (typeof schema !== 'string') throw bad(NAME, `${where}.schema must be a string (an Iglu URI)`);
  const match = IGLU.exec(schema);
  if (match === null) throw bad(NAME, `${where}.schema ${JSON.stringify(schema.slice(0, 100))} is not an Iglu URI`);
  if (!isObject(value.data)) throw bad(NAME, `${where}.data must be an object`);
  return { schema, name: match[1], data: value.data };
}

/** The JSON of `plain` (text) or else `encoded` (base64 or base64url, padded or not), with its name. */
function jsonField(
  fields: ReadonlyMap<string, string>,
  plain: string | null,
  encoded: string | null,
  where: string,
  limits: InputLimits,
): [string, unknown] | null {
  const text = plain === null ? undefined : fields.get(plain);
  if (text !== undefined && text !== '') return [where + plain, parseJson(text, where + plain, limits)];
  const b64 = encoded === null ? undefined : fields.get(encoded);
  if (b64 === undefined || b64 === '') return null;
  const field = where + encoded;
  return [field, parseJson(decodeBase64(b64, field), field, limits)];
}

/**
 * Trackers differ: the browser one sends base64url without padding, older ones and other
 * languages the standard alphabet with `=`; both are accepted, nothing else.
 */
function decodeBase64(value: string, field: string): string {
  const unpadded = value.replace(/=+$/, '');
  if (!BASE64.test(value) || unpadded.length % 4 === 1 || (unpadded !== value && value.length % 4 !== 0))
    throw bad(NAME, `${field} is not valid base64`);
  const bytes = Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw bad(NAME, `${field} is base64 of bytes that are not UTF-8 text`);
  }
}

/** JSON within the `api.*` bounds; the bounds' and the parser's refusals reworded to name the field. */
function parseJson(text: string, field: string, limits: InputLimits): unknown {
  try {
    return parseBoundedJsonText(text, limits);
  } catch (error) {
    if (!(error instanceof Wt1Error)) throw error;
    const detail = error.detail.startsWith('the body ')
      ? `${field} ${error.detail.slice('the body '.length)}`
      : `${field}: ${error.detail}`;
    throw new Wt1Error(error.code, `${NAME}: ${detail}`);
  }
}
