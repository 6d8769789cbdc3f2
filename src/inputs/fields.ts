import { Wt1Error } from '../errors.js';
import type { InputLimits } from './input.js';
import { parseBoundedJson } from '../json/bounded-json.js';

/**
 * Reading a tracker's JSON with errors that name the input and the field: every refusal is a 400
 * (wrong shape or type) or a 413 (a limit), never a crash, and nothing of the request is queued.
 */
export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function bad(input: string, reason: string): Wt1Error {
  return new Wt1Error('WT1_ERR_BAD_REQUEST', `${input}: ${reason}`);
}

/** The body as a JSON value within the JSON bounds (`api.maxDepth`...), checked before parsing. */
export function parseJsonBody(input: string, body: Buffer | null, limits: InputLimits): unknown {
  if (body === null || body.length === 0) throw bad(input, 'the body is empty');
  try {
    return parseBoundedJson(body, limits);
  } catch (error) {
    if (error instanceof Wt1Error) throw new Wt1Error(error.code, `${input}: ${error.detail}`);
    throw error;
  }
}

/** An optional string field: undefined/null give null; anything but a string is refused. */
export function optString(input: string, value: unknown, where: string, limits: InputLimits): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw bad(input, `${where} must be a string`);
  if (value.length > limits.maxFieldLength) throw tooLong(input, where, value.length, limits);
  return value;
}

/** An optional string or number (ids are either in several SDKs), as text. */
export function optId(input: string, value: unknown, where: string, limits: InputLimits): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return optString(input, value, where, limits);
}

export function optNumber(input: string, value: unknown, where: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(input, `${where} must be a number`);
  return value;
}

export function optObject(input: string, value: unknown, where: string): Json | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw bad(input, `${where} must be an object`);
  return value;
}

export function tooLong(input: string, where: string, length: number, limits: InputLimits): Wt1Error {
  return new Wt1Error(
    'WT1_ERR_BODY_TOO_LARGE',
    `${input}: ${where} is ${length} characters long, more than the limit of ${limits.maxFieldLength}`,
  );
}

export function tooManyEvents(input: string, where: string, count: number, limits: InputLimits): Wt1Error {
  return new Wt1Error(
    'WT1_ERR_BODY_TOO_LARGE',
    `${input}: ${where} has ${count} events, more than the limit of ${limits.maxEvents} per request`,
  );
}

/** An ISO 8601 date (or ms since epoch) as ms since epoch; 0 when absent. */
export function optTime(input: string, value: unknown, where: string): number {
  if (value === undefined || value === null || value === '') return 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value !== 'string') throw bad(input, `${where} must be a date (ISO 8601 text)`);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw bad(input, `${where} is not a date: ${JSON.stringify(value.slice(0, 64))}`);
  return ms;
}

/** Sizes are ints in the log format (WT1's Java int); anything else is 0. */
export function size(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2147483647 ? value : 0;
}
