/**
 * ackMode=durable through an outage of the server (issue 16 target): nats-server or s3rver stopped
 * for BENCH_OUTAGE_SECONDS (default 60) under a steady load (BENCH_OUTAGE_RATE events/s, default
 * 2 000: GET pixel, POST pixel, API messages of 2 events, in turn), then started again. Reported:
 * acknowledged events lost (target 0), the spool's largest size against its bound (nats: the
 * write-ahead spool, `durable.maxSpoolBytes` = BENCH_SPOOL_BYTES, default 16 MiB so that a 60 s outage
 * reaches it; s3: the outbox, `storage.params.maxSpoolBytes`), 503 answers, and the drain time after
 * the restart.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from 'nats';
import { spawnWt1, stopWt1, type Wt1Process } from '../test/helpers/process.js';
import { removeDir, tempDir } from '../test/helpers/server.js';
import { startNatsServer, type NatsTestServer } from '../test/helpers/nats-server.js';
import { startS3Server, type S3TestServer } from '../test/helpers/s3-server.js';
import { readObjects, s3Keys } from '../test/helpers/s3-engine.js';
import { sendMixed } from '../test/helpers/durable-load.js';

const OUTAGE = Number(process.env.BENCH_OUTAGE_SECONDS ?? 60);
const RATE = Number(process.env.BENCH_OUTAGE_RATE ?? 2000);
const SPOOL_BYTES = Number(process.env.BENCH_SPOOL_BYTES ?? 16 * 1024 * 1024);
const BEFORE = 5;
const AFTER = 5;
const ID = /(?:^|[\t&"])id=([gpa]\d+[xy]?)/;

type Stats = Record<string, number>;

async function stats(url: string): Promise<Stats> {
  const live = (await (await fetch(`${url}/internal/live`)).json()) as { processors: { storage: { stats: Stats } } };
  return live.processors.storage.stats;
}

/** A steady sender: every 10 ms the requests due by now; the ids of the events answered 200 go to `acked`. */
function steadyLoad(url: string, acked: Set<string>) {
  const counts = { sent: 0, refused: 0, unanswered: 0 };
  let firstError = '';
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const one = async (id: number): Promise<void> => {
    try {
      const { res, ids } = await sendMixed(url, id);
      if (res.status !== 200) {
        counts.refused++;
        return;
      }
      for (const event of ids) acked.add(event);
    } catch (error) {
      if (counts.unanswered++ === 0) firstError = String((error as Error).cause ?? error);
    }
  };
  const running = (async () => {
    const started = Date.now();
    let events = 0;
    let id = 0;
    while (!stopped) {
      const due = ((Date.now() - started) / 1000) * RATE;
      // At most 2 000 requests waiting: an overloaded machine slows the rate instead of piling up sockets.
      while (events < due && inFlight.size < 2000) {
        const p = one(id);
        events += id % 3 === 2 ? 2 : 1;
        id++;
        counts.sent++;
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inFlight);
    return events / ((Date.now() - started) / 1000);
  })();
  return {
    counts,
    firstError: () => firstError,
    stop: async (): Promise<number> => {
      stopped = true;
      return running;
    },
  };
}

/** The ids of every message of a stream (an ordered consumer: one pass). */
async function natsIds(server: NatsTestServer, stream: string): Promise<string[]> {
  const nc = await connect({ servers: server.url });
  try {
    const { state } = await (await nc.jetstreamManager()).streams.info(stream);
    const ids: string[] = [];
    if (state.messages === 0) return ids;
    const consumer = await nc.jetstream().consumers.get(stream);
    const messages = await consumer.consume();
    for await (const m of messages) {
      const params = String(m.json<{ eventParams?: string }>().eventParams ?? '');
      ids.push(ID.exec(params)?.[1] ?? '?');
      if (ids.length >= state.messages) break;
    }
    return ids;
  } finally {
    await nc.close();
  }
}

export async function outage(engine: 'nats' | 's3'): Promise<void> {
  console.log(
    `3. ${engine} stopped for ${OUTAGE} s under ${RATE} events/s, ackMode=durable` +
      (engine === 'nats' ? `, durable.maxSpoolBytes ${SPOOL_BYTES}` : `, outbox maxSpoolBytes ${SPOOL_BYTES}`),
  );
  const dir = tempDir('wt1-bench-outage-');
  const nats = engine === 'nats' ? await startNatsServer() : undefined;
  const s3 = engine === 's3' ? await startS3Server() : undefined;
  const keys =
    engine === 'nats'
      ? {
          'storage.class': 'nats',
          'storage.params.servers': nats!.url,
          'storage.params.stream': 'BENCH',
          'storage.params.reconnectWait': '0.5',
          'durable.spoolDir': path.join(dir, 'spool'),
          'durable.maxSpoolBytes': String(SPOOL_BYTES),
        }
      : s3Keys(s3 as S3TestServer, path.join(dir, 'outbox'), {
          'storage.params.maxSpoolBytes': String(SPOOL_BYTES),
          'storage.params.retryMaxDelay': '1',
        });
  const config = path.join(dir, 'wt1.json');
  writeFileSync(config, JSON.stringify({ ...keys, ackMode: 'durable', logLevel: 'error' }));
  let wt1: Wt1Process | undefined;
  try {
    wt1 = await spawnWt1(['--config', config]);
    const url = wt1.url;
    const acked = new Set<string>();
    const load = steadyLoad(url, acked);
    const spoolBytes = async (): Promise<number> => {
      const s = await stats(url);
      return engine === 'nats' ? s.durableSpoolBytes : s.spoolBytes;
    };
    let maxSpool = 0;
    const sample = setInterval(() => {
      void spoolBytes().then(
        (b) => (maxSpool = Math.max(maxSpool, b)),
        () => {},
      );
    }, 200);
    await new Promise((r) => setTimeout(r, BEFORE * 1000));
    const refusedBefore = load.counts.refused;
    if (nats) await nats.kill('SIGKILL');
    else await s3!.pause();
    await new Promise((r) => setTimeout(r, OUTAGE * 1000));
    const refusedDuring = load.counts.refused - refusedBefore;
    if (nats) await nats.restart();
    else await s3!.restart();
    const back = Date.now();
    await new Promise((r) => setTimeout(r, AFTER * 1000));
    const offered = await load.stop();
    let drained = Number.NaN;
    for (let i = 0; i < 3000; i++) {
      if ((await spoolBytes()) === 0) {
        drained = (Date.now() - back) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    clearInterval(sample);
    await stopWt1(wt1);
    wt1 = undefined;
    const ids = nats
      ? await natsIds(nats, 'BENCH')
      : (await readObjects(s3!)).flatMap((o) => o.lines.map((l) => ID.exec(l)?.[1] ?? '?'));
    const found = new Set(ids);
    const lost = [...acked].filter((k) => !found.has(k)).length;
    const c = load.counts;
    console.log(
      `   offered ${Math.round(offered)} events/s; requests ${c.sent}, acknowledged events ${acked.size}, 503 ` +
        `${c.refused} (${refusedDuring} during the outage), unanswered ${c.unanswered}` +
        (c.unanswered > 0 ? ` (first: ${load.firstError()})` : ''),
    );
    console.log(
      `   spool max ${maxSpool} bytes of ${SPOOL_BYTES} (${((100 * maxSpool) / SPOOL_BYTES).toFixed(0)} %); ` +
        `drained ${Number.isNaN(drained) ? 'not within 300 s' : `${drained.toFixed(1)} s after the restart`}`,
    );
    console.log(`   delivered ${ids.length} events (${found.size} distinct); acknowledged lost ${lost} (target 0)`);
    if (lost > 0 || maxSpool > SPOOL_BYTES) process.exitCode = 1;
  } finally {
    if (wt1) wt1.child.kill('SIGKILL');
    await nats?.stop();
    await s3?.stop();
    removeDir(dir);
  }
}
