import { readFileSync } from 'node:fs';
import { Wt1Error } from '../errors.js';
import { parseProperties, PropertiesSyntaxError } from './properties.js';
import type { RawValue } from './spec.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a config file: Java properties (the WT1 format) or JSON of the same keys (flat or nested).
 * Properties are read as UTF-8 when they are valid UTF-8, else as ISO-8859-1, the encoding
 * java.util.Properties.load(InputStream) used for WT1's own file. JSON must be UTF-8.
 */
export function readConfigFile(file: string): Map<string, RawValue> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: ${(e as Error).message}`);
  }
  // A binary file (a wrong path) would otherwise come back as pages of unknown "keys".
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    throw new Wt1Error(
      'WT1_ERR_CONFIG_FILE',
      `${file}: not a text file (a NUL byte at offset ${nul}); expected Java properties or JSON`,
    );
  }
  let text: string;
  let utf8 = true;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    utf8 = false;
    text = bytes.toString('latin1');
  }
  if (file.endsWith('.json') || /^\s*\{/.test(text)) {
    if (!utf8) throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: invalid JSON: not valid UTF-8`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: invalid JSON: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: the JSON must be an object of config keys`);
    }
    const out = new Map<string, RawValue>();
    flatten('', parsed as Record<string, unknown>, out);
    return out;
  }
  try {
    return new Map(parseProperties(text));
  } catch (e) {
    if (e instanceof PropertiesSyntaxError) throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: ${e.message}`);
    throw e;
  }
}

function flatten(prefix: string, obj: Record<string, unknown>, out: Map<string, RawValue>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(key + '.', v as Record<string, unknown>, out);
    else out.set(key, v as RawValue);
  }
}
