// `radtrack serve`: owns the database (hosting the embedded one if that is the target), runs the listener,
// and on SIGINT/SIGTERM stops reading, commits and answers what it accepted, and closes. A second signal forces.
import type { Knex } from 'knex';
import { runSeeds } from '../admin/seed.ts';
import type { ServeConfig } from '../config/config.ts';
import { describeTarget, type DatabaseTarget } from '../config/database.ts';
import { openDatabase } from '../db/open.ts';
import type { Logger } from '../log.ts';
import { startListener, type Listener } from './listener.ts';
import { startMetricsServer, type MetricsServer } from './metrics.ts';

export interface Daemon {
  stop(): Promise<void>;
  readonly port: number;
  readonly listener: Listener;
  /** Serving /metrics and /health, when --metrics was given. */
  readonly metrics: MetricsServer | null;
  /** Never resolves; rejects if the embedded database this daemon hosts dies. */
  readonly died: Promise<never>;
}

export async function startDaemon(config: ServeConfig, log: Logger): Promise<Daemon> {
  // The lanes and the registry, tallies and housekeeping each need a connection at once.
  const db = await openDatabase(config.database, { role: 'serve', exclusive: true, poolMax: 4, log });
  let listener: Listener;
  try {
    if (config.seedDev) await seedDev(db.knex, config.database, log);
    listener = await startListener({ ...config.listener, knex: db.knex, connection: db.connection, log });
  } catch (err) {
    await db.close();
    throw err;
  }
  let metrics: MetricsServer | null = null;
  try {
    if (config.metrics) metrics = await startMetricsServer({ ...config.metrics, listener, knex: db.knex, log });
  } catch (err) {
    await listener.stop();
    await db.close();
    throw err;
  }
  const address = listener.address();
  log.info(`serve: listening on udp ${address.address}:${address.port}; database: ${describeTarget(config.database)}; ${config.listener.lanes} writer lanes`, {
    udp_address: address.address,
    udp_port: address.port,
  });
  let stopping: Promise<void> | null = null;
  return {
    port: address.port,
    listener,
    metrics,
    died: db.host?.died ?? new Promise<never>(() => undefined),
    stop() {
      stopping ??= (async () => {
        await metrics?.stop();
        await listener.stop();
        await db.close();
        const t = listener.tally.totals;
        const b = listener.tally.batches;
        const mean = (n: number) => (b.count === 0 ? 0 : n / b.count).toFixed(1);
        log.info(
          `serve: stopped (accepted ${t.accepted}, duplicates ${t.duplicates}, malformed ${t.malformed}, ` +
            `bad_authenticator ${t.bad_authenticator}, unsupported_code ${t.unsupported_code}, unprocessable ${t.unprocessable}, ` +
            `unknown_nas ${t.unknown_nas}; ${b.count} batches of ${mean(b.packets)} packets, ${mean(b.ms)} ms each)`,
        );
      })();
      return stopping;
    },
  };
}

/** `serve --seed-dev`: the development NAS, on the embedded database only, and a line saying what happened. */
async function seedDev(knex: Knex, target: DatabaseTarget, log: Logger): Promise<void> {
  if (target.kind !== 'embedded') {
    log.info('serve: --seed-dev: not seeding the development NAS into a PostgreSQL server; register NASes with "radtrack nas add"');
    return;
  }
  for (const outcome of await runSeeds(knex)) log.info(`serve: --seed-dev (embedded database only): ${outcome.result}`);
}

/** Resolves when the daemon has stopped after SIGINT/SIGTERM; rejects if its embedded database dies. */
export function stopOnSignals(daemon: Daemon, log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    daemon.died.catch((err: Error) => {
      // Nothing can be committed any more: exit, so a supervisor restarts us, rather than hold the port.
      log.error(`serve: ${err.message}; exiting`);
      reject(err);
    });
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        log.warn(`serve: ${signal} again, exiting without waiting`);
        process.exit(1);
      }
      signalled = true;
      log.info(`serve: ${signal}: finishing accepted packets`);
      daemon.stop().then(resolve, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
