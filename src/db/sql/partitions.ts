// Monthly partitions of sessions (closed), journal and usage_deltas (migration 20261202000000): which exist, and
// the operations purge runs on them. A partition's month is in its name: sessions_2026m11.
import type { Knex } from 'knex';

type Db = Knex | Knex.Transaction;

export type PartitionedTable = 'sessions' | 'journal' | 'usage_deltas';

export interface MonthPartition {
  name: string;
  /** [from, to): the month, in UTC. */
  from: Date;
  to: Date;
}

/** Makes the monthly partitions covering [from, to] that are missing; returns how many tables it made. */
export async function ensurePartitions(db: Db, from: Date, to: Date): Promise<number> {
  const { rows } = await db.raw<{ rows: { made: number }[] }>('SELECT radtrack_ensure_partitions(?, ?) AS made', [from, to]);
  return rows[0]!.made;
}

/** The monthly partitions of a table, oldest first (sessions_open, the default partition, is not one). */
export async function monthPartitions(db: Db, table: PartitionedTable): Promise<MonthPartition[]> {
  const { rows } = await db.raw<{ rows: { name: string }[] }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = ?::regclass ORDER BY c.relname`,
    [table],
  );
  return rows.flatMap(({ name }) => {
    const m = /_(\d{4})m(\d{2})$/.exec(name);
    if (!m) return [];
    const [year, month] = [Number(m[1]), Number(m[2]) - 1];
    return [{ name, from: new Date(Date.UTC(year, month, 1)), to: new Date(Date.UTC(year, month + 1, 1)) }];
  });
}

/** Partition names come from pg_class and match /^[a-z_]+_\d{4}m\d{2}$/; quoted anyway. */
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Closed sessions of one month before `before`, at most `limit`: their spans saved, the rows deleted. */
export async function purgeSessionsOf(db: Db, p: MonthPartition, before: Date, limit: number): Promise<number> {
  if (!(await exists(db, p.name))) return 0;
  const { rows } = await db.raw<{ rows: { n: number }[] }>(
    `WITH gone AS (
       DELETE FROM ${ident(p.name)} WHERE ctid IN (SELECT ctid FROM ${ident(p.name)} WHERE logout < ? LIMIT ?)
       RETURNING account_id, login, logout),
     kept AS (INSERT INTO session_spans (account_id, login, logout) SELECT account_id, login, logout FROM gone RETURNING 1)
     SELECT count(*)::int AS n FROM kept`,
    [before, limit],
  );
  return rows[0]!.n;
}

// Reads pg_class with the statement's own snapshot: to_regclass would answer from this backend's catalog cache,
// which after waiting on another purge's row lock may still show a table that purge has just dropped.
async function exists(db: Db, name: string): Promise<boolean> {
  const { rows } = await db.raw<{ rows: unknown[] }>(`SELECT 1 FROM pg_class WHERE relname = ? AND relnamespace = 'public'::regnamespace`, [name]);
  return rows.length > 0;
}

/**
 * A whole month of closed sessions at once: spans saved, partition dropped. Returns how many sessions it held
 * (0 if another purge dropped it first).
 */
export async function dropSessionMonth(db: Db, p: MonthPartition): Promise<number> {
  if (!(await exists(db, p.name))) return 0;
  const { rows } = await db.raw<{ rows: { n: number }[] }>(
    `WITH kept AS (INSERT INTO session_spans (account_id, login, logout) SELECT account_id, login, logout FROM ${ident(p.name)} RETURNING 1)
     SELECT count(*)::int AS n FROM kept`,
  );
  await db.raw(`DROP TABLE ${ident(p.name)}`);
  return rows[0]!.n;
}

export async function purgeJournalOf(db: Db, table: string, before: Date, limit: number): Promise<number> {
  if (!(await exists(db, table))) return 0;
  const { rows } = await db.raw<{ rows: { n: number }[] }>(
    `WITH gone AS (DELETE FROM ${ident(table)} WHERE ctid IN (SELECT ctid FROM ${ident(table)} WHERE arrival < ? LIMIT ?) RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [before, limit],
  );
  return rows[0]!.n;
}

export async function dropJournalMonth(db: Db, p: MonthPartition): Promise<number> {
  if (!(await exists(db, p.name))) return 0;
  const { rows } = await db.raw<{ rows: { n: number }[] }>(`SELECT count(*)::int AS n FROM ${ident(p.name)}`);
  await db.raw(`DROP TABLE ${ident(p.name)}`);
  return rows[0]!.n;
}

/** What purge would remove: closed sessions (logout < T) and journal entries (arrival < T), old and new. */
export async function countPurgeable(db: Db, before: Date): Promise<{ sessions: number; journal: number }> {
  const { rows } = await db.raw<{ rows: { sessions: number; journal: number }[] }>(
    `SELECT (SELECT count(*)::int FROM sessions WHERE logout < :before) AS sessions,
            (SELECT count(*)::int FROM journal WHERE arrival < :before)
              + (SELECT count(*)::int FROM journal_legacy WHERE arrival < :before) AS journal`,
    { before },
  );
  return rows[0]!;
}
