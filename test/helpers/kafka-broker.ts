import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin, Consumer, stringDeserializers, type Message } from '@platformatic/kafka';
import { freePort } from './process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LIB = path.join(ROOT, '.cache/kafka/lib');
const FETCH = path.join(ROOT, 'scripts/fetch-kafka.sh');

const INSTALL_HINT =
  'the Kafka tests run a real Apache Kafka broker: they need Java 17+ and Maven ' +
  '(Debian: `apt-get install openjdk-17-jre-headless maven`), ' +
  'then `bash scripts/fetch-kafka.sh` fetches Kafka into .cache/kafka/lib; `bash .ci/run` does all of it';

/** A small heap and a quick JIT: the broker only carries test traffic, on a shared 2-core machine. */
const JVM_OPTIONS = [
  '-Xms64m',
  '-Xmx320m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:ActiveProcessorCount=2',
  '-Djava.awt.headless=true',
];

export interface StoredRecord {
  partition: number;
  offset: bigint;
  key: string;
  headers: Record<string, string>;
  json: Record<string, unknown>;
}

export interface KafkaTestBroker {
  /** `127.0.0.1:PORT`, the value of `storage.params.brokers`. */
  readonly bootstrap: string;
  readonly port: number;
  /** The broker's own log, printed by `logTail` when a test fails. */
  readonly logFile: string;
  createTopic(topic: string, partitions: number): Promise<void>;
  /** Every record of a topic, partition by partition, in offset order. */
  readTopic(topic: string): Promise<StoredRecord[]>;
  /** Kills the broker (SIGKILL by default: a crash) and waits for its exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data (after `kill`). */
  restart(): Promise<void>;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

/** Fetches Kafka when missing (quick when there), or fails saying how to install what is needed. */
function ensureKafka(): void {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error) throw new Error(`java is not installed: ${INSTALL_HINT}`);
  const fetched = spawnSync('bash', [FETCH], { encoding: 'utf8' });
  if (fetched.status !== 0 || !existsSync(path.join(LIB, '.pom.sha256'))) {
    throw new Error(
      `Apache Kafka could not be fetched into .cache/kafka/lib ` +
        `(${(fetched.stderr || fetched.stdout || '').trim()}): ${INSTALL_HINT}`,
    );
  }
}

function serverProperties(dir: string, port: number, controllerPort: number): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${path.join(dir, 'data')}`,
    'num.partitions=1',
    'num.network.threads=1',
    'num.io.threads=2',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    '',
  ].join('\n');
}

const LOG4J = [
  'status = error',
  'appender.out.type = Console',
  'appender.out.name = out',
  'appender.out.layout.type = PatternLayout',
  'appender.out.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = warn',
  'rootLogger.appenderRef.out.ref = out',
  'logger.raft.name = kafka.server.KafkaRaftServer',
  'logger.raft.level = info',
  '',
].join('\n');

/**
 * A real single-node KRaft Apache Kafka broker on free 127.0.0.1 ports, in a temporary folder:
 * formats the storage with a random cluster id, starts `kafka.Kafka`, waits until it says it started
 * and answers a metadata request. Start one per test file (a JVM start costs seconds).
 */
export async function startKafkaBroker(): Promise<KafkaTestBroker> {
  ensureKafka();
  const port = await freePort();
  const controllerPort = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'wt1-kafka-'));
  const properties = path.join(dir, 'server.properties');
  const log4j = path.join(dir, 'log4j2.properties');
  const logFile = path.join(dir, 'broker.log');
  writeFileSync(properties, serverProperties(dir, port, controllerPort));
  writeFileSync(log4j, LOG4J);
  const classpath = `${LIB}/*`;
  const java = (main: string, args: string[]): string[] => [
    ...JVM_OPTIONS,
    `-Dlog4j2.configurationFile=${log4j}`,
    '-cp',
    classpath,
    main,
    ...args,
  ];
  const bootstrap = `127.0.0.1:${port}`;

  // A cluster id is a base64url UUID; one starting with '-' would read as an option.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const format = spawnSync('java', java('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', properties]), {
    encoding: 'utf8',
  });
  if (format.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kafka storage format failed (${format.status}): ${format.stderr}${format.stdout}`);
  }

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const logTail = (lines = 40): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };

  const start = async (): Promise<void> => {
    // The log is appended to across restarts: only what this start writes counts.
    const from = existsSync(logFile) ? statSync(logFile).size : 0;
    const startedLog = (): string => {
      try {
        return readFileSync(logFile).subarray(from).toString();
      } catch {
        return '';
      }
    };
    const out = openSync(logFile, 'a');
    const proc = spawn('java', java('kafka.Kafka', [properties]), { stdio: ['ignore', out, out] });
    closeSync(out);
    let exitCode: number | null | undefined;
    exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        exitCode = code;
        resolve();
      }),
    );
    child = proc;
    const deadline = Date.now() + 90_000;
    while (!startedLog().includes('Kafka Server started')) {
      if (exitCode !== undefined)
        throw new Error(`the Kafka broker exited (${exitCode}) before it started:\n${logTail()}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`the Kafka broker did not start within 90 s:\n${logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // Started: now it must answer a client.
    const admin = new Admin({ clientId: 'wt1-test', bootstrapBrokers: [bootstrap], retries: 20, retryDelay: 250 });
    try {
      await admin.metadata({ topics: [] });
    } finally {
      await admin.close();
    }
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc) return;
    proc.kill(signal);
    await exited;
  };

  await start().catch(async (e: unknown) => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });

  return {
    bootstrap,
    port,
    logFile,
    logTail,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    createTopic: async (topic, partitions) => {
      const admin = new Admin({ clientId: 'wt1-test', bootstrapBrokers: [bootstrap] });
      try {
        await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
        // Created is not ready: wait until every partition has a leader, so a first send is not half refused.
        for (let i = 0; ; i++) {
          const t = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic);
          if (t && t.partitionsCount === partitions && t.partitions.every((p) => p.leader >= 0)) break;
          if (i > 100) throw new Error(`topic ${topic} has no leader for every partition after 10 s`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await admin.close();
      }
    },
    readTopic: (topic) => readTopic(bootstrap, topic),
  };
}

/** Reads a whole topic with a throw-away consumer group, up to the end offsets seen at the start. */
async function readTopic(bootstrap: string, topic: string): Promise<StoredRecord[]> {
  const consumer = new Consumer({
    clientId: 'wt1-test-reader',
    groupId: `wt1-test-${randomBytes(6).toString('hex')}`,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 200,
  });
  try {
    const ends = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
    const wanted = ends.reduce((n, end) => n + Number(end), 0);
    // By partition and offset: a consumer group rebalance may deliver a record twice.
    const seen = new Map<string, StoredRecord>();
    if (wanted === 0) return [];
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    try {
      for await (const m of stream as AsyncIterable<Message<string, string, string, string>>) {
        seen.set(`${m.partition}:${m.offset}`, {
          partition: m.partition,
          offset: m.offset,
          key: m.key,
          headers: Object.fromEntries(m.headers),
          json: JSON.parse(m.value) as Record<string, unknown>,
        });
        if (seen.size >= wanted) break;
      }
    } finally {
      await stream.close();
    }
    const out = [...seen.values()];
    return out.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
  } finally {
    await consumer.close(true);
  }
}
