// `radtrack serve`: owns the database (hosting the embedded one if that is the target), runs the listener,
// and on SIGINT/SIGTERM stops reading, commits and answers what it accepted, and closes. A second signal forces.
import { describeTarget, type DatabaseTarget } from '../config/database.ts';
import { openDatabase } from '../db/open.ts';
import type { Logger } from '../log.ts';
import { startListener, type ListenerOptions } from './udp-listener.ts';

export interface DaemonOptions extends Omit<ListenerOptions, 'knex' | 'log'> {
  target: DatabaseTarget;
  log: Logger;
}

export interface Daemon {
  stop(): Promise<void>;
  readonly port: number;
  /** Never resolves; rejects if the embedded database this daemon hosts dies. */
  readonly died: Promise<never>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { log } = opts;
  const db = await openDatabase(opts.target, { role: 'serve', exclusive: true, poolMax: 4 });
  let listener;
  try {
    listener = await startListener({ ...opts, knex: db.knex, log });
  } catch (err) {
    await db.close();
    throw err;
  }
  const address = listener.address();
  log.info(`serve: listening on udp ${address.address}:${address.port}; database: ${describeTarget(opts.target)}`);
  let stopping: Promise<void> | null = null;
  return {
    port: address.port,
    died: db.host?.died ?? new Promise<never>(() => undefined),
    stop() {
      stopping ??= (async () => {
        await listener.stop();
        await db.close();
        const t = listener.counters.totals;
        log.info(
          `serve: stopped (duplicates ${t.duplicate}, malformed ${t.malformed}, bad_authenticator ${t.bad_authenticator}, ` +
            `unsupported_code ${t.unsupported_code}, unknown_nas ${t.unknown_nas})`,
        );
      })();
      return stopping;
    },
  };
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
