/**
 * A parser for Java `.properties` files, so that an original WT1 `config.properties` loads unchanged.
 * Follows java.util.Properties.load: `=`, `:` or white space separate key and value; `#` and `!`
 * start comments; a line ending in an odd number of backslashes continues on the next line (whose
 * leading white space is dropped); `\t \n \r \f \uXXXX` and `\<any>` escapes in keys and values.
 * Later keys override earlier ones, as in Java.
 */
export class PropertiesSyntaxError extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^[ \t\f]+/, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, '');
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1); // continuation at end of file
    const lineNo = i + 1;
    const [rawKey, rawValue] = splitKeyValue(line);
    out.set(unescapeProperty(rawKey, lineNo), unescapeProperty(rawValue, lineNo));
  }
  return out;
}

function endsWithContinuation(line: string): boolean {
  let n = 0;
  for (let j = line.length - 1; j >= 0 && line[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

function splitKeyValue(line: string): [string, string] {
  let j = 0;
  for (; j < line.length; j++) {
    const c = line[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
  }
  const key = line.slice(0, j);
  let k = j;
  while (k < line.length && (line[k] === ' ' || line[k] === '\t' || line[k] === '\f')) k++;
  if (k < line.length && (line[k] === '=' || line[k] === ':')) {
    k++;
    while (k < line.length && (line[k] === ' ' || line[k] === '\t' || line[k] === '\f')) k++;
  }
  return [key, line.slice(k)];
}

function unescapeProperty(s: string, lineNo: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const n = s[++i];
    switch (n) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = s.slice(i + 1, i + 5);
        if (/^[0-9a-fA-F]{4}$/.test(hex)) {
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
        } else throw new PropertiesSyntaxError(lineNo, `malformed \\uXXXX escape "\\u${hex}"`);
        break;
      }
      default:
        out += n;
    }
  }
  return out;
}
