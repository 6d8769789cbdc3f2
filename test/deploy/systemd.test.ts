import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from '../helpers/server.js';

// deploy/systemd/wt1.service, checked with `systemd-analyze verify` (issue 18). It needs only the
// systemd package's tools, not a running systemd: CI containers have them after
// `apt-get install systemd` (.ci/run installs it). verify exits 0 even on an unknown key (it warns),
// so any output fails the test; a unit with a typo shows that the check does see problems.

const UNIT = fileURLToPath(new URL('../../../deploy/systemd/wt1.service', import.meta.url));

function verify(unitText: string): { status: number | null; output: string } {
  const probe = spawnSync('systemd-analyze', ['--version']);
  assert.ok(
    !probe.error,
    'systemd-analyze is missing: install it with `apt-get install systemd` (the tools only; no running systemd needed)',
  );
  const dir = tempDir();
  try {
    const file = path.join(dir, 'wt1.service');
    writeFileSync(file, unitText);
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    return { status: r.status, output: (r.stdout + r.stderr).trim() };
  } finally {
    removeDir(dir);
  }
}

/** The unit with the node of this machine (verify checks that ExecStart's program exists). */
const unitHere = (): string =>
  readFileSync(UNIT, 'utf8').replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `);

test('the systemd unit example passes systemd-analyze verify without a warning', () => {
  const r = verify(unitHere());
  assert.equal(r.status, 0, r.output);
  assert.equal(r.output, '');
});

test('a mistyped key in the unit is reported (the check sees problems)', () => {
  const r = verify(unitHere().replace('RestartPreventExitStatus=', 'RestartPreventExitStatuss='));
  assert.match(r.output, /Unknown key.*RestartPreventExitStatuss/);
});

test('the unit stops within shutdownTimeout, keeps config mistakes down, and starts wt1 serve', () => {
  const text = readFileSync(UNIT, 'utf8');
  assert.match(text, /^ExecStart=\/usr\/bin\/node \S+\/bin\/wt1 serve /m);
  assert.match(text, /^KillSignal=SIGTERM$/m);
  const stop = Number(/^TimeoutStopSec=(\d+)$/m.exec(text)?.[1]);
  assert.ok(stop > 10, 'TimeoutStopSec leaves the default shutdownTimeout (10 s) time to drain');
  assert.match(text, /^RestartPreventExitStatus=2$/m, 'exit 2 (a configuration mistake) is not restarted');
});
