import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkJsonBounds, parseBoundedJson, type JsonLimits } from '../../src/json/bounded-json.js';
import { Wt1Error } from '../../src/errors.js';

const LIMITS: JsonLimits = { maxDepth: 4, maxKeys: 3, maxArrayLength: 5, maxValues: 12 };
const code = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return error instanceof Wt1Error ? `${error.code}: ${error.detail}` : String(error);
  }
};
const check = (json: string, limits = LIMITS): string => code(() => checkJsonBounds(Buffer.from(json), limits));

test('each limit is exact: at the limit passes, one past is refused naming its key', () => {
  assert.equal(check('[[[[1]]]]'), 'ok');
  assert.match(check('[[[[[1]]]]]'), /^WT1_ERR_JSON_LIMIT: .*api\.maxDepth \(4\)/);
  assert.equal(check('[1,2,3,4,5]'), 'ok');
  assert.match(check('[1,2,3,4,5,6]'), /api\.maxArrayLength \(5\)/);
  assert.equal(check('{"a":1,"b":[],"c":{}}'), 'ok');
  assert.match(check('{"a":1,"b":2,"c":3,"d":4}'), /api\.maxKeys \(3\)/);
  // Values: every member and element, containers included (3 + 9 = 12).
  assert.equal(check('[[1,2,3],[1,2,3],[1,2,3]]'), 'ok');
  assert.match(check('[[1,2,3],[1,2,3],[1,2,3,4]]'), /api\.maxValues \(12\)/);
  assert.equal(check('[]'), 'ok');
  assert.equal(check('{}'), 'ok');
});

test('structure inside strings (escaped quotes, brackets, commas) is not counted', () => {
  assert.equal(check('{"a":"[[[[[[,,,,,,,]]]\\"[[[[[[","b":"\\\\"}'), 'ok');
  assert.equal(check('["{{{{{{", "\\"", ",,,,,,,,,"]'), 'ok');
});

test('parseBoundedJson: the same value as JSON.parse within the limits, precise 400s otherwise', () => {
  const limits: JsonLimits = { maxDepth: 64, maxKeys: 1000, maxArrayLength: 1000, maxValues: 100_000 };
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 10 }), (value) => {
      const text = JSON.stringify(value);
      assert.deepEqual(parseBoundedJson(Buffer.from(text), limits), JSON.parse(text));
    }),
    { numRuns: 300 },
  );
  assert.deepEqual(parseBoundedJson(Buffer.from('\ufeff{"a":1}'), limits), { a: 1 });
  assert.match(
    code(() => parseBoundedJson(Buffer.alloc(0), limits)),
    /^WT1_ERR_BAD_REQUEST: the body is empty/,
  );
  assert.match(
    code(() => parseBoundedJson(Buffer.from('{"a":'), limits)),
    /^WT1_ERR_BAD_REQUEST: the body is not valid JSON/,
  );
});

test('a hostile document is refused without building it: 5 M [ stop at the limit', () => {
  const deep = Buffer.alloc(5_000_000, '[');
  assert.match(
    code(() => checkJsonBounds(deep, { maxDepth: 32, maxKeys: 1000, maxArrayLength: 10_000, maxValues: 200_000 })),
    /maxDepth \(32\) \(byte 32\)/,
  );
});
