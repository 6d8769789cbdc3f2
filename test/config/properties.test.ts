import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties, PropertiesSyntaxError } from '../../src/config/properties.js';

const parse = (text: string): Record<string, string> => Object.fromEntries(parseProperties(text));

test('=, : and white space all separate key and value, with optional blanks around', () => {
  assert.deepEqual(parse('a=1\nb:2\nc 3\nd = 4\ne : 5\nf\t\t6\ng   =   7\n'), {
    a: '1',
    b: '2',
    c: '3',
    d: '4',
    e: '5',
    f: '6',
    g: '7',
  });
});

test('only the first separator splits; later = and : belong to the value', () => {
  assert.deepEqual(parse('url=http://h:80/a?b=c\nk:v=w'), { url: 'http://h:80/a?b=c', k: 'v=w' });
});

test('# and ! lines are comments, also after leading blanks; blank lines are skipped', () => {
  assert.deepEqual(parse('# comment\n  ! other\n\n   \nkey=value # not a comment\n'), { key: 'value # not a comment' });
});

test('a key alone has an empty value', () => {
  assert.deepEqual(parse('lonely\nother=\n'), { lonely: '', other: '' });
});

test('a line ending in an odd number of backslashes continues, leading blanks of the next line dropped', () => {
  assert.deepEqual(parse('list=a,\\\n    b,\\\n\tc\nnext=1'), { list: 'a,b,c', next: '1' });
  // An even number is an escaped backslash: no continuation.
  assert.deepEqual(parse('path=C:\\\\\nnext=1'), { path: 'C:\\', next: '1' });
  // A comment line never continues, a continued line never becomes a comment.
  assert.deepEqual(parse('# c \\\nk=v\\\n# not a comment'), { k: 'v# not a comment' });
  // A continuation at end of file is dropped.
  assert.deepEqual(parse('k=v\\'), { k: 'v' });
});

test('escapes: \\t \\n \\r \\f, \\uXXXX, escaped separators in keys, any other escaped char is itself', () => {
  assert.deepEqual(parse('a=x\\ty\\nz\\rw\\f'), { a: 'x\ty\nz\rw\f' });
  assert.deepEqual(parse('u=caf\\u00e9 \\u20AC'), { u: 'café €' });
  assert.deepEqual(parse('my\\ key\\=x\\:y=v'), { 'my key=x:y': 'v' });
  assert.deepEqual(parse('q=\\"\\#\\!\\\\'), { q: '"#!\\' });
  assert.deepEqual(parse('k\\u0041=1'), { kA: '1' });
});

test('CRLF and CR line ends, a BOM, and later keys overriding earlier ones', () => {
  assert.deepEqual(parse('\uFEFFa=1\r\nb=2\rc=3\r\na=4'), { a: '4', b: '2', c: '3' });
});

test('trailing blanks of a value are kept (as Java does)', () => {
  assert.deepEqual(parse('k=v  '), { k: 'v  ' });
});

test('a malformed \\uXXXX escape is an error naming the line', () => {
  assert.throws(
    () => parseProperties('ok=1\n\nbad=\\u12G4\n'),
    (e: unknown) => {
      assert.ok(e instanceof PropertiesSyntaxError);
      assert.equal(e.line, 3);
      assert.match(e.message, /line 3: malformed \\uXXXX escape "\\u12G4"/);
      return true;
    },
  );
  assert.throws(() => parseProperties('bad=\\u12'), PropertiesSyntaxError);
});

test('the original WT1 sample config.properties parses unchanged', () => {
  const sample = [
    '# Storage',
    'storage.class=com.dataiku.wt1.storage.FSStorageProcessor',
    'storage.params.rootDir=/var/lib/wt1',
    'storage.params.newFileTriggerSize = 1048576',
    'storage.params.newFileTriggerInterval: 300',
    'maxQueueSize 5000',
    'inlinedVisitorParams=plan,\\',
    '                     country',
  ].join('\n');
  assert.deepEqual(parse(sample), {
    'storage.class': 'com.dataiku.wt1.storage.FSStorageProcessor',
    'storage.params.rootDir': '/var/lib/wt1',
    'storage.params.newFileTriggerSize': '1048576',
    'storage.params.newFileTriggerInterval': '300',
    maxQueueSize: '5000',
    inlinedVisitorParams: 'plan,country',
  });
});
