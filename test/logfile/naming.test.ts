import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { safeHostname, publishedName, temporaryName, parseTemporaryName } from '../../src/logfile/naming.js';

test('file names: UTC tracker/YYYY/MM/DD/HH/mm-ss[-INSTANCE][-N].log.gz; temporaries start with _', () => {
  const t = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
  assert.equal(publishedName(t, '', 0), path.join('tracker', '2030', '01', '02', '03', '04-05.log.gz'));
  assert.equal(publishedName(t, 'web-1', 0), path.join('tracker', '2030', '01', '02', '03', '04-05-web-1.log.gz'));
  assert.equal(publishedName(t, 'web-1', 3), path.join('tracker', '2030', '01', '02', '03', '04-05-web-1-3.log.gz'));
  const tmp = path.basename(temporaryName(t));
  assert.match(tmp, /^_04-05\./);
  assert.deepEqual(parseTemporaryName(tmp), { host: safeHostname(), pid: process.pid });
  assert.equal(parseTemporaryName('04-05.log.gz'), undefined);
});
