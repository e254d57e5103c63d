// Batched session writes: rows travel as one JSON parameter (a Bind message holds at most 65,535 parameters).
import type { Knex } from 'knex';
import type { SessionState } from '../../accounting/session.ts';
import { SESSION_MUTABLE_COLUMNS, SESSION_RECORD_COLUMNS, sessionToRecord } from '../rows.ts';

type Db = Knex | Knex.Transaction;

/** Ids for sessions made in this batch, taken up front so journal rows and usage can name them. */
export async function allocateSessionIds(db: Db, count: number): Promise<bigint[]> {
  if (count === 0) return [];
  const { rows } = await db.raw<{ rows: { id: bigint }[] }>(
    `SELECT nextval(pg_get_serial_sequence('sessions', 'id')) AS id FROM generate_series(1, ?)`,
    [count],
  );
  return rows.map((r) => r.id);
}

/**
 * Updates first, inserts second: a batch may close a superseded session and open its successor on the same
 * port, and the partial unique index sessions_open_port_uq must see the close before the open.
 */
export async function writeSessions(db: Db, updated: SessionState[], created: SessionState[]): Promise<void> {
  if (updated.length > 0) {
    const sets = SESSION_MUTABLE_COLUMNS.map((c) => `${c} = r.${c}`).join(', ');
    await db.raw(
      `UPDATE sessions s SET ${sets}, updated_at = now()
       FROM json_to_recordset(?::json) AS r(${SESSION_RECORD_COLUMNS})
       WHERE s.id = r.id`,
      [JSON.stringify(updated.map(sessionToRecord))],
    );
  }
  if (created.length > 0) {
    const columns = ['id', 'nas_id', 'port_id', 'account_id', 'acct_session_id', 'exclusive_port', ...SESSION_MUTABLE_COLUMNS];
    await db.raw(
      `INSERT INTO sessions (${columns.join(', ')})
       SELECT ${columns.join(', ')} FROM json_to_recordset(?::json) AS r(${SESSION_RECORD_COLUMNS})`,
      [JSON.stringify(created.map(sessionToRecord))],
    );
  }
}
