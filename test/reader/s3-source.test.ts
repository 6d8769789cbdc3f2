import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { runWt1, spawnWt1, type Wt1Process } from '../helpers/process.js';
import { startS3Server, testS3Client, listKeys } from '../helpers/s3-server.js';
import { tempDir, removeDir } from '../helpers/server.js';
import { logRecords, waitFor } from '../helpers/load.js';

const hitOf = (line: string): number => Number(/hit=(\d+)/.exec(line)?.[1]);

test(
  'wt1 cat s3://bucket/prefix: the objects uploaded by instances ' + '(one with 2 workers) merge into one timeline',
  async () => {
    const s3 = await startS3Server();
    const work = tempDir();
    const nodes: Wt1Process[] = [];
    const engineEnv = (instance: string): NodeJS.ProcessEnv => ({
      WT1_STORAGE__CLASS: 's3',
      WT1_STORAGE__PARAMS__BUCKET_NAME: s3.bucket,
      WT1_STORAGE__PARAMS__ACCESS_KEY: s3.accessKeyId,
      WT1_STORAGE__PARAMS__SECRET_KEY: s3.secretAccessKey,
      WT1_STORAGE__PARAMS__ENDPOINT: s3.endpoint,
      WT1_STORAGE__PARAMS__FORCE_PATH_STYLE: 'true',
      WT1_STORAGE__PARAMS__PREFIX: 'prod',
      WT1_STORAGE__PARAMS__TMP_FOLDER: path.join(work, instance),
      WT1_INSTANCE_ID: instance,
      WT1_LOG_LEVEL: 'info',
    });
    try {
      nodes.push(
        await spawnWt1(['--workers', '2'], { env: engineEnv('web1') }),
        await spawnWt1([], { env: engineEnv('web2') }),
      );
      await waitFor(
        () => logRecords(nodes[0].output()).filter((r) => r.msg === 'worker listening').length === 2,
        'two workers',
      );
      const sent: number[] = [];
      for (let i = 0; i < 12; i++) {
        // Connection: close, so that node:cluster hands the hits of web1 to both of its workers.
        const res = await fetch(
          `${nodes[i % 2].url}/public/p.gif?__wt1ty=page&__wt1vic=${i % 3 === 2 ? 'bob' : 'alice'}&hit=${i}`,
          { headers: { Connection: 'close' } },
        );
        assert.equal(res.status, 200);
        await res.arrayBuffer();
        if (i % 3 !== 2) sent.push(i);
        await new Promise((r) => setTimeout(r, 5));
      }
      for (const node of nodes) node.child.kill('SIGTERM');
      for (const node of nodes) assert.equal(await node.exited, 0, node.output());

      const keys = await listKeys(s3, 'prod/');
      const instances = new Set(keys.map((k) => /\d\d-\d\d-(web\d(?:-w\d)?)(?:-\d+)?\.log\.gz$/.exec(k)?.[1]));
      assert.ok(
        instances.has('web2') && [...instances].some((i) => i?.startsWith('web1-w')),
        `keys: ${keys.join(', ')}`,
      );
      // A temporary-looking object and another prefix must not be read.
      const client = testS3Client(s3);
      const hour = keys[0].split('/').slice(0, -1).join('/');
      const stray = gzipSync('#server_ts\tvisitor_id\n2026-01-01T00:00:00.000\talice\n');
      await client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: `${hour}/_00-00.host.1.ab.log.gz`, Body: stray }),
      );
      await client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: `staging/tracker/2026/01/01/00/00-00-x.log.gz`, Body: stray }),
      );
      client.destroy();

      const byFlags = await runWt1(
        ['cat', '--s3-endpoint', s3.endpoint, '--s3-force-path-style', '--visitor', 'alice', `s3://${s3.bucket}/prod`],
        {
          env: {
            AWS_ACCESS_KEY_ID: s3.accessKeyId,
            AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
          },
        },
      );
      assert.equal(byFlags.code, 0, byFlags.stderr);
      assert.equal(byFlags.stderr, '', "a clean read says nothing on stderr (not even the SDK's Node version notice)");
      const lines = byFlags.stdout.trimEnd().split('\n');
      assert.ok(lines[0].startsWith('#server_ts\t'));
      assert.deepEqual(lines.slice(1).map(hitOf), sent);

      const byEnv = await runWt1(['cat', '--format', 'jsonl', `s3://${s3.bucket}/prod/`], {
        env: {
          WT1_STORAGE__PARAMS__ENDPOINT: s3.endpoint,
          WT1_STORAGE__PARAMS__FORCE_PATH_STYLE: 'true',
          WT1_STORAGE__PARAMS__ACCESS_KEY: s3.accessKeyId,
          WT1_STORAGE__PARAMS__SECRET_KEY: s3.secretAccessKey,
        },
      });
      assert.equal(byEnv.code, 0, byEnv.stderr);
      const rows = byEnv.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { event_params: { hit: string } });
      assert.deepEqual(
        rows.map((r) => Number(r.event_params.hit)),
        Array.from({ length: 12 }, (_, i) => i),
      );

      const missing = await runWt1(
        ['cat', '--s3-endpoint', s3.endpoint, '--s3-force-path-style', 's3://no-such-bucket/x'],
        {
          env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey },
        },
      );
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /s3:\/\/no-such-bucket\/x: cannot list the files/);
    } finally {
      for (const node of nodes) {
        node.child.kill('SIGKILL');
        await node.exited;
      }
      await s3.stop();
      removeDir(work);
    }
  },
);
