import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { configFromEnv, readConfigFile } from '../../src/config/load.js';
import { knownKeyNames, loadConfig, validateConfig } from '../../src/server/plugins.js';
import { readKeys, type RawValue } from '../../src/config/spec.js';
import { ConfigError, Wt1Error } from '../../src/errors.js';
import { tempDir, removeDir } from '../helpers/server.js';
import { runWt1 } from '../helpers/process.js';

const validate = (keys: Record<string, RawValue>) => validateConfig(new Map(Object.entries(keys)));

/** The problems of an invalid config, asserting it is one. */
function problemsOf(keys: Record<string, RawValue>): string[] {
  try {
    validate(keys);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.code, 'WT1_ERR_CONFIG_INVALID');
    return [...e.problems];
  }
  assert.fail('the config was accepted');
}

test('defaults: filesystem engine under ./data, port 8080, queue 5000, the WT1 defaults', () => {
  const c = validate({});
  assert.equal(c.storage.engine, 'fs');
  assert.equal(c.storage.params.rootDir, './data');
  assert.equal(c.storage.params.newFileTriggerSize, 1048576);
  assert.equal(c.port, 8080);
  assert.equal(c.maxQueueSize, 5000);
  assert.equal(c.sessionExpiration, 1800);
  assert.equal(c.thirdPartyCookies, false);
  assert.equal(c.flushInterval, 1);
  assert.deepEqual(c.trustedProxies, ['loopback'], 'issue 15 §4: only loopback proxies are trusted by default');
  assert.ok(Object.isFrozen(c));
});

test('the WT1 class name and the short name both pick the filesystem engine', () => {
  assert.equal(validate({ 'storage.class': 'com.dataiku.wt1.storage.FSStorageProcessor' }).storage.engine, 'fs');
  assert.equal(validate({ 'storage.class': 'fs' }).storage.engine, 'fs');
});

test('a properties file and a JSON file (flat or nested) of the same keys load the same config', () => {
  const dir = tempDir();
  try {
    const props = path.join(dir, 'config.properties');
    writeFileSync(
      props,
      'storage.class=com.dataiku.wt1.storage.FSStorageProcessor\nstorage.params.rootDir=/tmp/x\nmaxQueueSize : ' +
        '42\nthirdPartyCookies true\n',
    );
    const flat = path.join(dir, 'flat.json');
    writeFileSync(
      flat,
      JSON.stringify({
        'storage.class': 'fs',
        'storage.params.rootDir': '/tmp/x',
        maxQueueSize: 42,
        thirdPartyCookies: true,
      }),
    );
    const nested = path.join(dir, 'nested.conf');
    writeFileSync(
      nested,
      JSON.stringify({
        storage: { class: 'fs', params: { rootDir: '/tmp/x' } },
        maxQueueSize: '42',
        thirdPartyCookies: 'true',
        trustedProxies: ['loopback', '10.0.0.0/8'],
      }),
    );
    for (const file of [props, flat, nested]) {
      const c = loadConfig({ file });
      assert.equal(c.storage.engine, 'fs', file);
      assert.equal(c.storage.params.rootDir, '/tmp/x', file);
      assert.equal(c.maxQueueSize, 42, file);
      assert.equal(c.thirdPartyCookies, true, file);
    }
    assert.deepEqual(loadConfig({ file: nested }).trustedProxies, ['loopback', '10.0.0.0/8']);
  } finally {
    removeDir(dir);
  }
});

test('environment variables: WT1_ + key, __ between dotted segments, _ and case ignored', () => {
  const env = {
    WT1_MAX_QUEUE_SIZE: '10000',
    WT1_STORAGE__PARAMS__ROOT_DIR: '/var/lib/wt1',
    WT1_STORAGE__CLASS: 'fs',
    WT1_ADMIN_TOKEN: 'secret',
    WT1_PIXEL__MAX_BODY_SIZE: '2048',
    WT1_STORAGE__PARAMS__INLINED_EVENT_PARAMS: 'a,b',
    WT1_HANDLER__MAIN__PARAMS__SUM__REVENUE__FILTER_KEY: 'kind',
    PORT: '9999',
    HOST: '::',
    UNRELATED: 'x',
  };
  const m = configFromEnv(env, knownKeyNames());
  assert.equal(m.get('maxQueueSize'), '10000');
  assert.equal(m.get('storage.params.rootDir'), '/var/lib/wt1');
  assert.equal(m.get('storage.class'), 'fs');
  assert.equal(m.get('adminToken'), 'secret');
  assert.equal(m.get('pixel.maxBodySize'), '2048');
  assert.equal(m.get('storage.params.inlinedEventParams'), 'a,b');
  assert.equal(m.get('handler.main.params.sum.revenue.filterKey'), 'kind');
  assert.equal(m.get('port'), '9999');
  assert.equal(m.get('host'), '::');
  assert.equal(m.has('UNRELATED'), false);
});

test('precedence: defaults < file < PORT/HOST < WT1_* < overrides', () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'c.properties');
    writeFileSync(file, 'port=1000\nmaxQueueSize=1\nsessionExpiration=60\n');
    const c = loadConfig({
      file,
      env: { PORT: '2000', WT1_MAX_QUEUE_SIZE: '7', WT1_PORT: '3000' },
      overrides: { port: '4000' },
    });
    assert.equal(c.port, 4000);
    assert.equal(c.maxQueueSize, 7);
    assert.equal(c.sessionExpiration, 60);
    assert.equal(loadConfig({ file, env: { PORT: '2000' } }).port, 2000);
    assert.equal(loadConfig({ file, env: { PORT: '2000', WT1_PORT: '3000' } }).port, 3000);
  } finally {
    removeDir(dir);
  }
});

test('a bad number names the key and the value', () => {
  assert.deepEqual(problemsOf({ maxQueueSize: 'lots' }), ['maxQueueSize: "lots" is not a number']);
  assert.deepEqual(problemsOf({ 'storage.params.newFileTriggerSize': '1.5' }), [
    'storage.params.newFileTriggerSize: "1.5" is not a whole number',
  ]);
  assert.deepEqual(problemsOf({ port: '70000' }), ['port: "70000" is above the maximum 65535']);
  assert.deepEqual(problemsOf({ maxQueueSize: '0' }), ['maxQueueSize: "0" is below the minimum 1']);
  assert.deepEqual(problemsOf({ thirdPartyCookies: 'maybe' }), [
    'thirdPartyCookies: "maybe" is not a boolean (true or false)',
  ]);
});

test('every problem is reported at once', () => {
  const problems = problemsOf({ maxQueueSize: 'x', port: 'y', colour: 'blue' });
  assert.equal(problems.length, 3);
  assert.match(problems.join('\n'), /maxQueueSize: "x"/);
  assert.match(problems.join('\n'), /port: "y"/);
  assert.match(problems.join('\n'), /colour: unknown configuration key/);
});

test('an unknown engine names the key, the value and the known engines', () => {
  const [p] = problemsOf({ 'storage.class': 'com.example.MyStorage' });
  assert.match(p, /^storage\.class: "com\.example\.MyStorage" is not a known engine \(known: /);
  assert.match(p, /\(known: fs = com\.dataiku\.wt1\.storage\.FSStorageProcessor/);
});

test('Flume is refused with a pointer to the stream engines; Kafka needs its brokers', () => {
  const [kafka] = problemsOf({ 'storage.class': 'com.dataiku.wt1.storage.KafkaStorageProcessor' });
  assert.match(kafka, /^storage\.params\.brokers is required/);
  const [flume] = problemsOf({ 'storage.class': 'com.dataiku.wt1.storage.FlumeSourceProcessor' });
  assert.match(flume, /FlumeSourceProcessor" is not provided: .*NATS JetStream engine \(storage\.class=nats\)/);
});

test('unknown keys are refused: top level, engine params, malformed handler keys', () => {
  assert.deepEqual(problemsOf({ maxQueueSzie: '5' }), [
    'maxQueueSzie: unknown configuration key; did you mean maxQueueSize?',
  ]);
  const [p] = problemsOf({ 'storage.params.rootDri': '/x' });
  assert.match(p, /^storage\.params\.rootDri: unknown param for storage engine fs \(known: rootDir, /);
  const [h] = problemsOf({ 'handler.main': 'x' });
  assert.match(h, /^handler\.main: unknown configuration key/);
  const [hc] = problemsOf({ 'handler.main.params.x': '1' });
  assert.match(hc, /^handler\.main\.class is required/);
  const [hu] = problemsOf({ 'handler.main.class': 'com.example.Nope' });
  assert.match(hu, /^handler\.main\.class: "com\.example\.Nope" is not a known handler/);
});

test('a missing required key names the key', () => {
  const problems: string[] = [];
  readKeys(
    'storage.params.',
    new Map([['storage.params.bucketName', '']]),
    {
      bucketName: { type: 'string', default: '', origin: 'WT1', description: 'the bucket', required: true },
    },
    problems,
  );
  assert.deepEqual(problems, ['storage.params.bucketName is required (the bucket)']);
});

test(
  'isolateRequestThread: off by default, from the file or ' + 'WT1_ISOLATE_REQUEST_THREAD, refused with workers > 1',
  () => {
    assert.equal(validate({}).isolateRequestThread, false);
    assert.equal(validate({ isolateRequestThread: 'true' }).isolateRequestThread, true);
    assert.equal(loadConfig({ env: { WT1_ISOLATE_REQUEST_THREAD: 'true' } }).isolateRequestThread, true);
    assert.deepEqual(problemsOf({ isolateRequestThread: 'true', workers: '2' }), [
      'isolateRequestThread: true needs workers=1 (workers is 2: each worker process would keep the same CPU for ' +
        'itself)',
    ]);
    assert.equal(validate({ isolateRequestThread: 'false', workers: '2' }).workers, 2);
    assert.match(problemsOf({ isolateRequestThread: 'sometimes' })[0], /^isolateRequestThread: /);
  },
);

test('metricsPort cannot be the main port (the start would fail on a taken port)', () => {
  assert.match(problemsOf({ port: 8080, metricsPort: 8080 })[0], /^metricsPort: 8080 is also port/);
  assert.equal(validate({ port: 8080, metricsPort: 9100 }).metricsPort, 9100);
  assert.equal(validate({ port: 0, metricsPort: 0 }).metricsPort, 0);
});

test('p3pHeader must be a valid header value: a line break would fail every cookie answer', () => {
  assert.equal(validate({ p3pHeader: 'CP="NOI DSP COR NID"' }).p3pHeader, 'CP="NOI DSP COR NID"');
  for (const bad of ['CP="NOI"\r\nX-Injected: 1', 'CP\u0000', 'CP=\u2028']) {
    const problems = problemsOf({ p3pHeader: bad });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^p3pHeader: ".*" must be a valid header value/s);
  }
});

test('a bad trustedProxies entry names the entry', () => {
  const [p] = problemsOf({ trustedProxies: 'loopback,10.0.0.0/33,proxy.example' });
  assert.match(p, /^trustedProxies: "10\.0\.0\.0\/33" has a bad prefix length/);
  assert.match(problemsOf({ trustedProxies: 'proxy.example' })[0], /"proxy\.example" is not an IP address/);
});

test('inlined*Params are honoured at top level and under storage.params (merged, deduplicated)', () => {
  const c = validate({
    inlinedVisitorParams: 'plan,country',
    'storage.params.inlinedVisitorParams': 'country,age',
    'storage.params.inlinedSessionParams': 'campaign',
    inlinedEventParams: 'product',
  });
  assert.deepEqual(c.inlinedVisitorParams, ['plan', 'country', 'age']);
  assert.deepEqual(c.inlinedSessionParams, ['campaign']);
  assert.deepEqual(c.inlinedEventParams, ['product']);
});

test(
  'inlined*Params are split on "," without trimming, as WT1 does ' +
    '(issue 15 §6): a space after a comma stays in the name',
  () => {
    const c = validate({ inlinedVisitorParams: 'plan, country,', 'storage.params.inlinedEventParams': ' sku ,qty' });
    assert.deepEqual(c.inlinedVisitorParams, ['plan', ' country']);
    assert.deepEqual(c.inlinedEventParams, [' sku ', 'qty']);
  },
);

test('malformed files give WT1_ERR_CONFIG_FILE with the file and the reason', () => {
  const dir = tempDir();
  try {
    const badJson = path.join(dir, 'bad.json');
    writeFileSync(badJson, '{"port": 80,');
    assert.throws(
      () => readConfigFile(badJson),
      (e: unknown) =>
        e instanceof Wt1Error && e.code === 'WT1_ERR_CONFIG_FILE' && /bad\.json: invalid JSON/.test(e.message),
    );
    const arrayJson = path.join(dir, 'array.json');
    writeFileSync(arrayJson, '[1,2]');
    assert.throws(() => readConfigFile(arrayJson), /must be an object of config keys/);
    const badProps = path.join(dir, 'bad.properties');
    writeFileSync(badProps, 'a=1\nb=\\uXYZW\n');
    assert.throws(
      () => readConfigFile(badProps),
      (e: unknown) =>
        e instanceof Wt1Error &&
        e.code === 'WT1_ERR_CONFIG_FILE' &&
        /bad\.properties: line 2: malformed/.test(e.message),
    );
    assert.throws(
      () => readConfigFile(path.join(dir, 'missing.properties')),
      (e: unknown) => e instanceof Wt1Error && e.code === 'WT1_ERR_CONFIG_FILE' && /ENOENT/.test(e.message),
    );
  } finally {
    removeDir(dir);
  }
});

test(
  'a properties file is UTF-8 when it is valid UTF-8, else ISO-8859-1 as ' +
    'Java read it; JSON must be UTF-8; a binary file is refused',
  () => {
    const dir = tempDir();
    try {
      const utf8 = path.join(dir, 'utf8.properties');
      writeFileSync(utf8, 'p3pHeader=CP="caf\u00e9"\n', 'utf8');
      assert.equal(readConfigFile(utf8).get('p3pHeader'), 'CP="caf\u00e9"');
      // The same text as WT1's Java editor saved it: é is the single byte 0xE9.
      const latin1 = path.join(dir, 'latin1.properties');
      writeFileSync(latin1, Buffer.from('p3pHeader=CP="caf\u00e9"\n', 'latin1'));
      assert.equal(readConfigFile(latin1).get('p3pHeader'), 'CP="caf\u00e9"');
      const badJson = path.join(dir, 'latin1.json');
      writeFileSync(badJson, Buffer.from('{"p3pHeader": "caf\u00e9"}', 'latin1'));
      assert.throws(
        () => readConfigFile(badJson),
        (e: unknown) =>
          e instanceof Wt1Error &&
          e.code === 'WT1_ERR_CONFIG_FILE' &&
          /latin1\.json: invalid JSON: not valid UTF-8/.test(e.message),
      );
      const bomJson = path.join(dir, 'bom.json');
      writeFileSync(bomJson, '\ufeff{"port": 81}');
      assert.equal(readConfigFile(bomJson).get('port'), 81);
      const binary = path.join(dir, 'config.properties');
      writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x3d, 0x0a]));
      assert.throws(
        () => readConfigFile(binary),
        (e: unknown) =>
          e instanceof Wt1Error &&
          e.code === 'WT1_ERR_CONFIG_FILE' &&
          /config\.properties: not a text file \(a NUL byte at offset 6\)/.test(e.message),
      );
    } finally {
      removeDir(dir);
    }
  },
);

test('bin/wt1 serve shows control characters of a bad config escaped, and at most 20 problems', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'noisy.properties');
    const keys = Array.from({ length: 25 }, (_, i) => `bogus${i}\u001b[2J=1`).join('\n');
    writeFileSync(file, keys + '\n');
    const r = await runWt1(['serve', '--config', file, '--port', '0'], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /\u001b/);
    assert.match(r.stderr, /- bogus0\\x1b\[2J: unknown configuration key\n/);
    assert.equal((r.stderr.match(/unknown configuration key/g) ?? []).length, 20);
    assert.match(r.stderr, /- \.\.\. and 5 more\n$/);
  } finally {
    removeDir(dir);
  }
});

test('bin/wt1 serve with a bad config prints one clear message and exits with code 2', async () => {
  const dir = tempDir();
  try {
    const cases: Array<[string, string, RegExp]> = [
      [
        'bad.properties',
        'maxQueueSize=many\nstorage.class=com.dataiku.wt1.storage.KafkaStorageProcessor\n',
        new RegExp(
          String.raw`invalid configuration \[WT1_ERR_CONFIG_INVALID\]:\n {2}- maxQueueSize: "many" is not a number\n` +
            String.raw` {2}- storage\.params\.brokers is required`,
        ),
      ],
      ['bad.json', '{"port": ', /bad\.json: invalid JSON.*\[WT1_ERR_CONFIG_FILE\]/],
      ['bad-escape.properties', 'k=\\u00Z0', /line 1: malformed \\uXXXX escape.*\[WT1_ERR_CONFIG_FILE\]/],
      // Checked with the config, not when the engine starts on the storage thread.
      [
        'half-key.properties',
        'storage.class=s3\nstorage.params.bucketName=b\nstorage.params.accessKey=x\n',
        /\[WT1_ERR_CONFIG_INVALID\]: storage\.params\.accessKey and storage\.params\.secretKey go together/,
      ],
    ];
    for (const [name, text, expected] of cases) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      const r = await runWt1(['serve', '--config', file, '--port', '0'], { cwd: dir });
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.equal(r.stderr.trim().split('\n')[0].startsWith('wt1: '), true);
    }
    const missing = await runWt1(['serve', '--config', path.join(dir, 'nope.properties')], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.properties: ENOENT.*\[WT1_ERR_CONFIG_FILE\]/);
    const badFlag = await runWt1(['serve', '--colour'], { cwd: dir });
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /\[WT1_ERR_CLI_USAGE\]/);
  } finally {
    removeDir(dir);
  }
});
