import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/server/plugins.js';
import type { RawValue } from '../../src/config/spec.js';
import { ConfigError } from '../../src/errors.js';
import { startTestServer, removeDir } from '../helpers/server.js';

const config = (keys: Record<string, RawValue>) => validateConfig(new Map(Object.entries(keys)));

test('inputs: all by default, a list, none; unknown names and keys are config problems naming them', () => {
  assert.deepEqual(Object.keys(config({}).inputSites), [
    'segment',
    'rudderstack',
    'plausible',
    'umami',
    'matomo',
    'ga4',
    'jitsu',
    'snowplow',
    'posthog',
  ]);
  assert.deepEqual(config({ inputs: 'plausible,segment', 'inputs.segment.writeKeys': 'a, b' }).inputSites, {
    segment: ['a', 'b'],
    plausible: [],
  });
  assert.deepEqual(config({ inputs: 'none' }).inputSites, {});
  assert.throws(
    () => config({ inputs: 'segmnet', 'inputs.segment.writeKey': 'x' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.problems[0],
        new RegExp(
          '^inputs: "segmnet" is not a known input ' +
            String.raw`\(known: all, none, segment, rudderstack, plausible, umami, matomo, ga4, jitsu, snowplow, ` +
            String.raw`posthog\); ` +
            String.raw`did you mean segment\?`,
        ),
      );
      assert.match(
        error.problems[1],
        /^inputs\.segment\.writeKey: unknown configuration key; did you mean inputs\.segment\.writeKeys\?/,
      );
      return true;
    },
  );
});

test('inputs=none: the tracker endpoints are not served (404)', async () => {
  const server = await startTestServer({ inputs: 'none' });
  try {
    const res = await fetch(`${server.url}/v1/t`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-wt1-error'), 'WT1_ERR_NOT_FOUND');
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});
