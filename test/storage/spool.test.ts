import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { safeHostname } from '../../src/logfile/naming.js';
import { Spool } from '../../src/storage/spool.js';
import { safeInstanceId } from '../../src/logfile/naming.js';
import { removeDir, tempDir } from '../helpers/server.js';

test(
  'spool: files of dead owners of this host are adopted, those ' + 'of live workers and other hosts are left',
  async () => {
    const dir = tempDir('wt1-spool-');
    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    try {
      const spool = new Spool(dir, 'me', silentLogger());
      await spool.open();
      const host = safeHostname();
      const names = {
        dead: `1795760000000.3.${host}.${dead}.0a0a.old.run.log.gz`,
        alive: `1795760000001.4.${host}.${alive.pid}.0b0b.worker2.log.gz`,
        otherHost: `1795760000002.5.another-host.${dead}.0c0c.far.log.gz`,
      };
      for (const name of Object.values(names)) writeFileSync(path.join(spool.outbox, name), 'x'.repeat(10));

      const adopted = await spool.adoptLeftovers();
      assert.equal(adopted.length, 1);
      assert.equal(adopted[0].instanceId, 'old.run', 'the writer instance id is kept (dots included)');
      assert.equal(adopted[0].lines, 3);
      assert.equal(adopted[0].time, 1795760000000);
      assert.equal(adopted[0].id, '0a0a');
      assert.equal(
        path.basename(adopted[0].path),
        `1795760000000.3.${host}.${process.pid}.0a0a.old.run.log.gz`,
        'now owned by this process',
      );
      assert.equal(spool.fileCount, 1);
      assert.equal(spool.bytes, 10);
      assert.equal(spool.lines, 3);
      const left = readdirSync(spool.outbox).sort();
      assert.ok(left.includes(names.alive) && left.includes(names.otherHost), left.join(' '));
    } finally {
      alive.kill('SIGKILL');
      removeDir(dir);
    }
  },
);

test('spool: instance ids are made safe for file names, keys and headers', () => {
  assert.equal(safeInstanceId('web-1.eu_west'), 'web-1.eu_west');
  assert.equal(safeInstanceId('a/b c\r\n:d'), 'a-b-c---d');
});
