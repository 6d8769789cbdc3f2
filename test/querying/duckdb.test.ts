import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTestServer, tempDir, removeDir, type TestServer } from '../helpers/server.js';
import { runWt1 } from '../helpers/process.js';

const DOC = fileURLToPath(new URL('../../../docs/querying.md', import.meta.url));

/** The ```sql blocks of docs/querying.md by their first line (`-- name: ...` or `-- name`). */
function docBlocks(): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of readFileSync(DOC, 'utf8').matchAll(/```sql\n([\s\S]*?)```/g)) {
    const name = /^-- ([^:\n]+)/.exec(m[1])?.[1].trim();
    assert.ok(name, `every sql block of docs/querying.md starts with a -- name comment: ${m[1].slice(0, 60)}`);
    blocks.set(name, m[1]);
  }
  return blocks;
}

const DAY1 = Date.UTC(2026, 10, 26, 9, 0, 0);
const DAY2 = Date.UTC(2026, 10, 27, 17, 30, 0);
/** A location with every escape: a quote, a backslash followed by t, a tab. */
const TRICKY = 'https://shop.example/c?q="x"\\t\t';

test(
  'docs/querying.md: its SQL, run by DuckDB over the files two ' + 'collectors wrote, gives the expected answers',
  async () => {
    const work = tempDir();
    let clock = DAY1;
    const now = (): number => clock;
    const servers: Record<'web1' | 'web2', TestServer> = {
      web1: await startTestServer(
        {
          'storage.params.rootDir': path.join(work, 'web1'),
          instanceId: 'web1',
          'storage.params.newFileTriggerInterval': 3600,
        },
        { now },
      ),
      web2: await startTestServer(
        {
          'storage.params.rootDir': path.join(work, 'web2'),
          instanceId: 'web2',
          'storage.params.newFileTriggerInterval': 3600,
        },
        { now },
      ),
    };
    const hit = async (
      server: 'web1' | 'web2',
      visitor: string,
      type: string,
      location: string,
      session = `${visitor}-s`,
    ): Promise<void> => {
      clock += 1000;
      const query = new URLSearchParams({ __wt1ty: type, __wt1vic: visitor, __wt1sic: session, __wt1loc: location });
      const res = await fetch(`${servers[server].url}/public/p.gif?${query}`, {
        headers: { 'User-Agent': 'UA "quoted" \\ back' },
      });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    };
    const flush = async (): Promise<void> => {
      for (const s of Object.values(servers))
        assert.equal((await fetch(`${s.url}/internal/flush`, { method: 'POST' })).status, 200);
    };
    try {
      await hit('web1', 'v1', 'page', 'https://shop.example/a');
      await hit('web1', 'v1', 'page', 'https://shop.example/b');
      await hit('web2', 'v2', 'page', 'https://shop.example/a');
      await hit('web2', 'v3', 'page', 'https://shop.example/a');
      await flush();
      clock = DAY2;
      await hit('web1', 'v1', 'page', 'https://shop.example/a', 'v1-s2');
      await hit('web1', 'v1', 'event', 'https://shop.example/a', 'v1-s2');
      await hit('web2', 'v2', 'page', TRICKY);
      await hit('web2', 'v4', 'page', 'https://shop.example/a');
      await flush();
    } finally {
      for (const s of Object.values(servers)) await s.stop();
    }

    const blocks = docBlocks();
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    try {
      // What the doc says to do when not running from the folder that holds the rootDirs.
      await connection.run(`SET file_search_path = '${work.replaceAll("'", "''")}'`);
      await connection.run(blocks.get('setup')!);
      const rows = async (name: string): Promise<Record<string, unknown>[]> => {
        const sql = blocks.get(name);
        assert.ok(sql, `docs/querying.md has a "-- ${name}" block`);
        return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
      };

      assert.deepEqual(await rows('page views per day'), [
        { day: '2026-11-26', page_views: '4', visitors: '3' },
        { day: '2026-11-27', page_views: '3', visitors: '3' },
      ]);
      assert.deepEqual(await rows('top pages'), [
        { location: 'https://shop.example/a', views: '5', visitors: '4' },
        { location: 'https://shop.example/b', views: '1', visitors: '1' },
        { location: TRICKY, views: '1', visitors: '1' },
      ]);
      const visitors = await rows('visitors');
      assert.deepEqual(
        visitors.map((v) => [v.visitor_id, v.events, v.visits]),
        [
          ['v1', '4', '2'],
          ['v2', '2', '1'],
          ['v3', '1', '1'],
          ['v4', '1', '1'],
        ],
      );
      assert.equal(visitors[0].first_seen, '2026-11-26 09:00:01');

      // Every field decoded as wt1 cat decodes it: escapes, quotes and missing values.
      const cat = await runWt1([
        'cat',
        '--format',
        'jsonl',
        '--no-decode-params',
        path.join(work, 'web1'),
        path.join(work, 'web2'),
      ]);
      assert.equal(cat.code, 0, cat.stderr);
      const expected = cat.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const actual = (
        await connection.runAndReadAll(
          "SELECT strftime(server_ts, '%Y-%m-%dT%H:%M:%S.%g') AS server_ts, client_addr, visitor_id, session_id, " +
            'location, referer, user_agent, type, event_params, br_width, tz_off FROM wt1_events ORDER BY server_ts',
        )
      ).getRowObjectsJson();
      assert.equal(actual.length, 8);
      assert.deepEqual(
        actual,
        expected.map((e) => ({
          server_ts: e.server_ts,
          client_addr: e.client_addr,
          visitor_id: e.visitor_id,
          session_id: e.session_id,
          location: e.location,
          referer: e.referer,
          user_agent: e['user-agent'],
          type: e.type,
          event_params: e.event_params,
          br_width: e.br_width,
          tz_off: e.tz_off,
        })),
      );
      assert.ok(
        actual.some((r) => r.location === TRICKY && r.referer === null && r.user_agent === 'UA "quoted" \\ back'),
      );
    } finally {
      connection.closeSync();
      db.closeSync();
      removeDir(work);
    }
  },
);
