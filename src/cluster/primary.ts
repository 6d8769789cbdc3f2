import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { isWorkerMessage, type PrimaryMessage } from './messages.js';
import { RestartBackoff } from './restart-backoff.js';
import { WORKER_SLOT_ENV } from './worker-identity.js';
import { ClusterHub, type SlotState } from './hub.js';
import { safeHostname } from '../logfile/naming.js';

interface Slot extends SlotState {
  readonly backoff: RestartBackoff;
  startedAt: number;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * The primary of `wt1 serve --workers N`: forks N workers that share the port (node:cluster hands
 * them the connections), replaces a worker that dies (with backoff against crash loops), and on
 * SIGTERM/SIGINT asks every worker for its ordered shutdown, waiting at most `shutdownTimeout`.
 * It holds no queue and writes no file itself; it gathers the views over every worker that a
 * worker asks for (/internal/live, /metrics, /internal/flush, handlers: src/cluster/hub.ts). Resolves with the exit
 * code: 0 when every worker drained and exited cleanly, 1 otherwise (or the code of a worker that could not start).
 */
export function runPrimary(config: Config, logger: Logger): Promise<number> {
  const log = logger.child({ role: 'primary' });
  const slots: Slot[] = Array.from({ length: config.workers }, (_, index) => ({
    index,
    backoff: new RestartBackoff(),
    worker: undefined,
    startedAt: 0,
    restartTimer: undefined,
    state: 'starting',
    restarts: 0,
    instanceId: undefined,
    lastCounters: undefined,
    previous: undefined,
  }));
  // A flush waits for every worker's engines: as long as a shutdown may (the S3 upload of a big file).
  const hub = new ClusterHub(slots, config.instanceId || safeHostname(), config.shutdownTimeout * 1000);
  let everListening = false;
  let stopping = false;
  let exitCode = 0;

  return new Promise<number>((resolve) => {
    const fork = (slot: Slot): void => {
      slot.restartTimer = undefined;
      slot.startedAt = Date.now();
      slot.state = 'starting';
      const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.index) });
      slot.worker = worker;
      worker.on('message', (m: unknown) => {
        if (!isWorkerMessage(m) || hub.onMessage(slot, worker, m) || m.wt1 !== 'listening') return;
        everListening = true;
        if (slot.worker === worker && !stopping) slot.state = 'running';
        slot.instanceId = m.instanceId;
        log.info(
          { slot: slot.index, workerPid: worker.process.pid, port: m.port, instanceId: m.instanceId },
          'worker listening',
        );
      });
      worker.on('exit', (code, signal) => onExit(slot, worker, code, signal));
      // A message to a worker that is dying fails with EPIPE: its exit is handled above.
      worker.on('error', (error) => log.debug({ err: error, slot: slot.index }, 'worker channel error'));
    };

    const onExit = (slot: Slot, worker: Worker, code: number | null, signal: string | null): void => {
      if (slot.worker === worker) {
        slot.worker = undefined;
        hub.retire(slot);
        hub.forget(slot.index);
      }
      if (stopping) {
        if (code !== 0) exitCode = 1;
        log.info({ slot: slot.index, workerPid: worker.process.pid, code, signal }, 'worker stopped');
        if (slots.every((s) => s.worker === undefined)) finish();
        return;
      }
      if (!everListening) {
        // A worker that cannot even start (port taken, unreadable folder): the others will not do better.
        log.error(
          { slot: slot.index, workerPid: worker.process.pid, code, signal },
          'a worker failed to start: stopping',
        );
        exitCode = typeof code === 'number' && code !== 0 ? code : 1;
        stopAll();
        return;
      }
      const delay = slot.backoff.nextDelay(Date.now() - slot.startedAt);
      slot.restarts++;
      slot.state = 'restarting';
      log.error(
        { slot: slot.index, workerPid: worker.process.pid, code, signal, restartInMs: delay },
        'worker died: replacing it (its flushed events are recovered by the replacement)',
      );
      slot.restartTimer = setTimeout(() => fork(slot), delay);
    };

    let deadline: NodeJS.Timeout | undefined;
    const stopAll = (): void => {
      if (stopping) return;
      stopping = true;
      for (const slot of slots) {
        slot.state = 'stopping';
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        slot.restartTimer = undefined;
        const worker = slot.worker;
        if (!worker) continue;
        const stop: PrimaryMessage = { wt1: 'stop' };
        if (worker.isConnected()) worker.send(stop);
        else worker.process.kill('SIGTERM');
      }
      if (slots.every((s) => s.worker === undefined)) return finish();
      // The workers apply shutdownTimeout themselves; the margin lets them report before being killed.
      deadline = setTimeout(
        () => {
          log.error(
            { deadlineSeconds: config.shutdownTimeout },
            'workers still running after the shutdown deadline: killing them',
          );
          exitCode = 1;
          for (const slot of slots) slot.worker?.process.kill('SIGKILL');
        },
        config.shutdownTimeout * 1000 + 2000,
      );
    };

    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (deadline) clearTimeout(deadline);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      log.info({ exitCode }, 'all workers stopped');
      resolve(exitCode);
    };

    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals > 1) {
        log.warn({ signal }, 'second signal: killing the workers');
        for (const slot of slots) slot.worker?.process.kill('SIGKILL');
        process.exit(130);
      }
      log.info(
        { signal, workers: slots.filter((s) => s.worker).length, deadlineSeconds: config.shutdownTimeout },
        'shutting down the workers',
      );
      stopAll();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    log.info({ workers: config.workers, port: config.port, host: config.host }, 'starting workers');
    for (const slot of slots) fork(slot);
  });
}
