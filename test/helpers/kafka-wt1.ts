import { validateConfig } from '../../src/server/plugins.js';
import type { RawValue } from '../../src/config/spec.js';
import { createEngine } from '../../src/storage/registry.js';
import { silentLogger } from '../../src/log.js';
import { kafkaEngine, type KafkaStorage } from '../../src/storage/kafka.js';
import type { KafkaTestBroker } from './kafka-broker.js';
import type { LiveStorageProcessor } from '../../src/server/live-types.js';
import { liveStorage } from './live.js';

/** The storage processor as /internal/live shows it (queue counters, engine stats, readiness). */
export type LiveStorage = LiveStorageProcessor;
export { liveStorage };

/**
 * Waits until `condition()` holds (polling); on timeout the error carries `state()` (e.g. the
 * engine's counters) and the broker's log, so a failure says where the events were.
 */
export async function waitFor(
  broker: KafkaTestBroker,
  what: string,
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 30_000, state }: { timeoutMs?: number; state?: () => unknown } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const seen = state ? `\nlast seen: ${JSON.stringify(await state())}` : '';
      throw new Error(`timed out waiting for ${what}${seen}\nbroker log:\n${broker.logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A Kafka engine on `broker`, outside a collector, with `keys` as in a config file. */
export function kafkaEngineFor(broker: KafkaTestBroker, keys: Record<string, string>): KafkaStorage {
  const config = validateConfig(
    new Map<string, RawValue>([
      ['storage.class', 'kafka'],
      ['storage.params.brokers', broker.bootstrap],
      ...Object.entries(keys),
    ]),
  );
  return createEngine(kafkaEngine, config, {
    logger: silentLogger(),
    instanceId: 'edge-1',
    now: Date.now,
  }) as KafkaStorage;
}

/** `n` pixel hits one after the other, visitor ids `prefix000`, `prefix001`...; each must be answered 200. */
export async function pixelHits(url: string, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/public/p.gif?__wt1ty=page&__wt1vic=${visitor(prefix, i)}`);
    if (res.status !== 200) throw new Error(`hit ${visitor(prefix, i)} answered ${res.status}`);
    if (res.headers.get('content-type') !== 'image/gif') throw new Error(`hit ${visitor(prefix, i)}: not a GIF`);
    await res.arrayBuffer();
  }
}

export function visitor(prefix: string, i: number): string {
  return `${prefix}${String(i).padStart(3, '0')}`;
}
