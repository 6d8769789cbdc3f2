import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from '../helpers/server.js';
import { runWt1, WT1_BIN } from '../helpers/process.js';

// The CLI's own mistakes (issue 15 §5) and invalid inlined names (§4): one line naming the key, the
// variable or the flag, a stable code, exit 2; never a Node stack. Run through bin/wt1 as a user would.

/** Runs `wt1 args` in a fresh folder (its ./data there), with a config file when `properties` is given. */
async function wt1(args: string[], options: { env?: NodeJS.ProcessEnv; properties?: string } = {}) {
  const dir = tempDir();
  try {
    const extra: string[] = [];
    if (options.properties !== undefined) {
      writeFileSync(path.join(dir, 'config.properties'), options.properties);
      extra.push('--config', path.join(dir, 'config.properties'));
    }
    return await runWt1([...args, ...extra], { cwd: dir, env: options.env, timeoutMs: 20_000 });
  } finally {
    removeDir(dir);
  }
}

/** One line on stderr with the code (config problems: `wt1: invalid configuration [CODE]: ...`), exit 2. */
function assertOneLine(r: { code: number | string; stderr: string }, code: string, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^wt1: .*\\[${code}\\]`));
  assert.match(r.stderr, pattern);
}

test('--host with an address of no interface here: one line, WT1_ERR_HOST_UNAVAILABLE, exit 2', async () => {
  // 192.0.2.1 (TEST-NET-1) is reserved for documentation: never an address of this machine.
  const r = await wt1(['serve', '--host', '192.0.2.1', '--port', '0']);
  assertOneLine(r, 'WT1_ERR_HOST_UNAVAILABLE', /cannot listen on 192\.0\.2\.1.*not one of this machine's/);
});

test('--host with a name that does not resolve: one line, WT1_ERR_HOST_UNKNOWN, exit 2', async () => {
  // .invalid never resolves (RFC 6761).
  const r = await wt1(['serve', '--host', 'not-a-host.invalid', '--port', '0']);
  assertOneLine(r, 'WT1_ERR_HOST_UNKNOWN', /host "not-a-host\.invalid": the name does not resolve/);
});

test('a privileged port for an unprivileged user: one line, WT1_ERR_PORT_DENIED, exit 2', async () => {
  const dir = tempDir();
  try {
    chmodSync(dir, 0o777);
    let command = [process.execPath, WT1_BIN];
    if (process.getuid?.() === 0) {
      // As root any port binds: run as nobody, as a service account would.
      const probe = spawnSync('setpriv', ['--version']);
      assert.ok(
        !probe.error,
        'setpriv is missing: install util-linux (apt-get install util-linux) to run this test as root',
      );
      command = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...command];
    }
    const r = spawnSync(command[0], [...command.slice(1), 'serve', '--port', '1', '--host', '127.0.0.1'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assertOneLine(
      { code: r.status ?? String(r.signal), stderr: r.stderr },
      'WT1_ERR_PORT_DENIED',
      /cannot listen on 127\.0\.0\.1:1: ports below 1024 need privileges/,
    );
  } finally {
    removeDir(dir);
  }
});

test('an unknown option is named plainly, with the nearest known one (serve and cat)', async () => {
  assertOneLine(
    await wt1(['serve', '--prot', '8080']),
    'WT1_ERR_CLI_USAGE',
    /^wt1: unknown option --prot; did you mean --port\? /,
  );
  assertOneLine(
    await wt1(['cat', '--vistor', 'x', '.']),
    'WT1_ERR_CLI_USAGE',
    /^wt1: unknown option --vistor; did you mean --visitor\? /,
  );
  assertOneLine(
    await wt1(['serve', '--colour']),
    'WT1_ERR_CLI_USAGE',
    /^wt1: unknown option --colour \(wt1 serve --help lists them\)/,
  );
});

test(
  'a bad environment variable is named: WT1_MAX_QUEUE_SIZ (with ' + 'the nearest key and its variable), PORT=abc',
  async () => {
    assertOneLine(
      await wt1(['serve'], { env: { WT1_MAX_QUEUE_SIZ: '10' } }),
      'WT1_ERR_CONFIG_INVALID',
      new RegExp(
        String.raw`maxQueueSiz \(environment variable WT1_MAX_QUEUE_SIZ\): unknown configuration key; ` +
          String.raw`did you mean maxQueueSize \(WT1_MAX_QUEUE_SIZE\)\?`,
      ),
    );
    assertOneLine(
      await wt1(['serve'], { env: { PORT: 'abc' } }),
      'WT1_ERR_CONFIG_INVALID',
      /port \(environment variable PORT\): "abc" is not a number/,
    );
    assertOneLine(
      await wt1(['serve', '--port', 'abc']),
      'WT1_ERR_CONFIG_INVALID',
      /port \(--port\): "abc" is not a number/,
    );
  },
);

test('an unknown key in a file suggests the nearest known one', async () => {
  const r = await wt1(['serve', '--port', '0'], { properties: 'maxQueSize=10\n' });
  assertOneLine(r, 'WT1_ERR_CONFIG_INVALID', /: maxQueSize: unknown configuration key; did you mean maxQueueSize\?$/m);
  const p = await wt1(['serve', '--port', '0'], { properties: 'storage.params.rootDri=/x\n' });
  assertOneLine(
    p,
    'WT1_ERR_CONFIG_INVALID',
    /storage\.params\.rootDri: unknown param for storage engine fs .*; did you mean storage\.params\.rootDir\?/,
  );
});

test(
  'inlined param names: control characters, duplicates and base ' + 'column names are refused, naming the key',
  async () => {
    const cases: Array<[string, RegExp]> = [
      ['inlinedEventParams=price,a\\tb\n', /inlinedEventParams: "a\\tb" holds a control character/],
      ['inlinedVisitorParams=plan,visitor_id\n', /inlinedVisitorParams: "visitor_id" is the name of a base column/],
      [
        'storage.params.inlinedEventParams=client_addr\n',
        /storage\.params\.inlinedEventParams: "client_addr" is the name of a base column/,
      ],
      ['inlinedEventParams=sku,sku\n', /inlinedEventParams: "sku" is listed twice/],
      [
        'inlinedVisitorParams=plan\ninlinedEventParams=plan\n',
        /inlinedEventParams: "plan" is also listed in inlinedVisitorParams/,
      ],
    ];
    for (const [properties, expected] of cases) {
      assertOneLine(await wt1(['serve', '--port', '0'], { properties }), 'WT1_ERR_CONFIG_INVALID', expected);
    }
    assertOneLine(
      await wt1(['serve', '--port', '0'], { env: { WT1_INLINED_SESSION_PARAMS: 'a\nb' } }),
      'WT1_ERR_CONFIG_INVALID',
      /inlinedSessionParams \(environment variable WT1_INLINED_SESSION_PARAMS\): "a\\nb" holds a control character/,
    );
  },
);

test('wt1 serve --help lists every flag and points to docs/configuration.md', async () => {
  const r = await wt1(['serve', '--help']);
  assert.equal(r.code, 0);
  const source = readFileSync(fileURLToPath(new URL('../../../src/cli/serve.ts', import.meta.url)), 'utf8');
  const block = /export const SERVE_OPTIONS = \{([\s\S]*?)\} as const;/.exec(source);
  assert.ok(block, 'src/cli/serve.ts declares SERVE_OPTIONS');
  const flags = [...block[1].matchAll(/^\s+'?([a-z-]+)'?: \{/gm)].map((m) => m[1]);
  assert.ok(flags.length >= 5, flags.join());
  for (const flag of flags) assert.match(r.stdout, new RegExp(`--${flag}\\b`), `--${flag} in wt1 serve --help`);
  assert.match(r.stdout, /docs\/configuration\.md/);
});
