import type { Knex } from 'knex';

type Db = Knex | Knex.Transaction;

/** §8: one row per accepted packet. */
export interface JournalEntry {
  arrival: Date;
  nasId: bigint;
  nasAddress: string;
  code: string;
  statusType: string | null;
  acctSessionId: string | null;
  username: string | null;
  sessionId: bigint | null;
  eventTime: Date | null;
  action: string;
  attributes: Record<string, unknown>;
}

export async function writeJournal(db: Db, entries: JournalEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const records = entries.map((e) => ({
    arrival: e.arrival.toISOString(),
    nas_id: String(e.nasId),
    nas_address: e.nasAddress,
    code: e.code,
    status_type: e.statusType,
    acct_session_id: e.acctSessionId,
    username: e.username,
    session_id: e.sessionId === null ? null : String(e.sessionId),
    event_time: e.eventTime?.toISOString() ?? null,
    action: e.action,
    attributes: e.attributes,
  }));
  await db.raw(
    `INSERT INTO journal (arrival, nas_id, nas_address, code, status_type, acct_session_id, username, session_id,
                          event_time, action, attributes)
     SELECT arrival, nas_id, nas_address, code, status_type, acct_session_id, username, session_id, event_time,
            action, attributes
     FROM json_to_recordset(?::json) AS r(arrival timestamptz, nas_id bigint, nas_address inet, code text,
          status_type text, acct_session_id text, username text, session_id bigint, event_time timestamptz,
          action text, attributes jsonb)`,
    [JSON.stringify(records)],
  );
}
