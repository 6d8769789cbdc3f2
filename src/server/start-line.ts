import path from 'node:path';
import type { Config } from '../config/schema.js';

export interface StartFacts {
  readonly port: number;
  readonly engine: string;
  readonly storageThread: boolean;
  readonly instanceId: string;
}

/**
 * The line a collector logs once it listens: where to send hits, where the data goes, and how it
 * runs, so that a first start answers "is it working, and where are my events?".
 */
export function startLine(config: Config, facts: StartFacts): { fields: Record<string, unknown>; message: string } {
  const everywhere = config.host === '0.0.0.0' || config.host === '::' || config.host === '';
  const shownHost = everywhere ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${shownHost}:${facts.port}`;
  const data = destination(config, facts.engine);
  const mode = [
    config.workers > 1 ? `one of ${config.workers} workers` : 'single process',
    facts.storageThread ? 'storage on its own thread' : 'storage on the request thread',
  ].join(', ');
  const fields = {
    url,
    host: config.host,
    port: facts.port,
    pixel: `${url}${config.paths.pixel}`,
    events: `${url}${config.paths.events}`,
    engine: facts.engine,
    data,
    mode,
    storageThread: facts.storageThread,
    instanceId: facts.instanceId,
  };
  const listening = everywhere ? `${url} (all interfaces)` : url;
  return {
    fields,
    message:
      `wt1 listening on ${listening}: send hits to ${config.paths.pixel} or ${config.paths.events}; ` +
      `data: ${facts.engine} ${data}; ${mode}`,
  };
}

/** Where an engine puts the events, from the params engines name alike (a folder, a bucket, servers). */
function destination(config: Config, engine: string): string {
  const p = config.storage.params;
  const text = (v: unknown): string => (Array.isArray(v) ? v.join(',') : String(v ?? ''));
  if (typeof p.rootDir === 'string') return `files under ${path.resolve(p.rootDir)}`;
  if (typeof p.bucketName === 'string') {
    const prefix = text(p.prefix).replace(/^\/+|\/+$/g, '');
    return `bucket ${p.bucketName}${prefix ? `/${prefix}` : ''} (spool ${path.resolve(text(p.tmpFolder))})`;
  }
  if (p.subject !== undefined) return `subject ${text(p.subject)} on ${text(p.servers)}`;
  if (p.topic !== undefined) return `topic ${text(p.topic)} on ${text(p.brokers)}`;
  return `(${engine} engine)`;
}
