import type { Knex } from 'knex';
import { describeTarget, type DatabaseTarget } from '../config/database.ts';
import { EmbeddedLockedError, startEmbeddedHost, type EmbeddedHost } from './embedded/host.ts';
import { readLock } from './embedded/lock.ts';
import { createKnex, embeddedConnection } from './knex.ts';
import { migrateLatest } from './migrations.ts';

export interface Database {
  knex: Knex;
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
}

export class DatabaseInUseError extends Error {}

/** Connects to the target: a server URL, the running daemon's embedded socket, or a freshly hosted PGlite. */
export async function openDatabase(target: DatabaseTarget, opts: OpenOptions): Promise<Database> {
  const poolMax = opts.poolMax ?? 4;
  let host: EmbeddedHost | null = null;
  let knex: Knex;
  if (target.kind === 'postgres') {
    knex = createKnex(target.url, poolMax);
  } else {
    const holder = opts.exclusive ? null : readLock(target.dataDir);
    if (holder) {
      knex = createKnex(embeddedConnection(holder.socketDir), poolMax);
    } else {
      try {
        host = await startEmbeddedHost(target.dataDir, opts.role);
      } catch (err) {
        if (err instanceof EmbeddedLockedError) {
          if (opts.exclusive) {
            throw new DatabaseInUseError(
              `${target.dataDir} is in use by radtrack ${err.holder.role} (pid ${err.holder.pid}); stop it first or use another --data-dir`,
            );
          }
          knex = createKnex(embeddedConnection(err.holder.socketDir), poolMax);
        } else throw err;
      }
      if (host) knex = createKnex(embeddedConnection(host.socketDir), poolMax);
    }
  }
  const db: Database = {
    knex: knex!,
    target,
    host,
    async close() {
      await knex!.destroy();
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
