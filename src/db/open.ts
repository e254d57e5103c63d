import type { Knex } from 'knex';
import { describeTarget, type DatabaseTarget } from '../config/database.ts';
import { EmbeddedLockedError, startEmbeddedHost, type EmbeddedHost } from './embedded/host.ts';
import { readLock } from './embedded/lock.ts';
import type { Logger } from '../log.ts';
import { createKnex, embeddedConnection, type PgConnection } from './knex.ts';
import { migrateLatest } from './migrations.ts';

export interface Database {
  knex: Knex;
  /** The same database for clients outside knex (the listener's lanes). */
  connection: PgConnection;
  target: DatabaseTarget;
  /** Set when this process hosts the embedded database. */
  host: EmbeddedHost | null;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Who opens it, shown to a second daemon that is refused. */
  role: string;
  poolMax?: number;
  /** Must this process own the embedded database (the daemon)? Else it connects to the owner if there is one. */
  exclusive?: boolean;
  migrate?: boolean;
  /** Where a hosted embedded database logs (default: text on stderr). */
  log?: Logger;
}

export class DatabaseInUseError extends Error {}

/** Connects to the target: a server URL, the running daemon's embedded socket, or a freshly hosted PGlite. */
export async function openDatabase(target: DatabaseTarget, opts: OpenOptions): Promise<Database> {
  const poolMax = opts.poolMax ?? 4;
  let host: EmbeddedHost | null = null;
  let knex: Knex;
  let connection: PgConnection;
  if (target.kind === 'postgres') {
    connection = target.url;
    knex = createKnex(connection, poolMax);
  } else {
    ({ knex, host, connection } = await connectEmbedded(target, opts, poolMax));
  }
  const db: Database = {
    knex,
    connection,
    target,
    host,
    async close() {
      await knex.destroy();
      if (host) await host.stop();
    },
  };
  try {
    await db.knex.raw('select 1');
    if (opts.migrate !== false) await migrateLatest(db.knex);
  } catch (err) {
    await db.close().catch(() => undefined);
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`database: cannot use ${describeTarget(target)}: ${why}`);
  }
  return db;
}

/** How long a client waits for a starting (initdb can take many seconds) or stopping embedded host. */
const EMBEDDED_WAIT_MS = 120_000;

/**
 * The embedded database is hosted by one process at a time (the lock holder). Connect to the holder's
 * socket; if there is none, host it here. The holder may still be starting, or be finishing and about to
 * release the lock: then wait and look again.
 */
async function connectEmbedded(
  target: Extract<DatabaseTarget, { kind: 'embedded' }>,
  opts: OpenOptions,
  poolMax: number,
): Promise<{ knex: Knex; host: EmbeddedHost | null; connection: PgConnection }> {
  const { dataDir } = target;
  const deadline = Date.now() + EMBEDDED_WAIT_MS;
  for (;;) {
    const holder = opts.exclusive ? null : readLock(dataDir);
    if (holder) {
      const connection = embeddedConnection(holder.socketDir);
      const knex = createKnex(connection, poolMax);
      try {
        await knex.raw('select 1');
        return { knex, host: null, connection };
      } catch (err) {
        await knex.destroy();
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
    }
    try {
      const host = await startEmbeddedHost(dataDir, opts.role, opts.log, { idleInTransactionMs: target.idleInTransactionMs });
      const connection = embeddedConnection(host.socketDir);
      return { knex: createKnex(connection, poolMax), host, connection };
    } catch (err) {
      if (!(err instanceof EmbeddedLockedError)) throw err;
      if (opts.exclusive) {
        throw new DatabaseInUseError(
          `${dataDir} is in use by radtrack ${err.holder.role} (pid ${err.holder.pid}); stop it first or use another --data-dir`,
        );
      }
    }
  }
}
