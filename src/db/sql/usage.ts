// The usage family: deltas and their hourly rollups. Ingest writes them inside its batch function
// (radtrack_write_batch → radtrack_add_usage); this is the same function for other writers (imports, tests).
import type { Knex } from 'knex';

/**
 * A change of one session's usage (accounting.md §9): the session's covered interval
 * [login, logout ?? last_update] grew or shrank within the segment [t0, t1), and/or its counters advanced.
 * `seconds` is the signed change of covered time within the segment (normally t1 − t0; negative when a NAS's
 * own Stop moves an estimated logout earlier; 0 when only counters advanced). The octet increases are spread
 * evenly over [t0, t1); when t1 = t0 they land at that instant.
 */
export interface UsageDelta {
  accountId: bigint;
  sessionId: bigint;
  t0: Date;
  t1: Date;
  seconds: number;
  inputOctets: bigint;
  outputOctets: bigint;
}

/** Stores usage deltas and folds the short ones into the hourly rollups, through radtrack_add_usage. */
export async function addUsage(db: Knex | Knex.Transaction, deltas: UsageDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  for (const d of deltas) {
    if (d.t1.getTime() < d.t0.getTime()) throw new Error(`usage: delta of session ${d.sessionId} ends before it starts`);
  }
  const rows = deltas.map((d) => ({
    account_id: d.accountId.toString(),
    session_id: d.sessionId.toString(),
    t0: d.t0.toISOString(),
    t1: d.t1.toISOString(),
    seconds: d.seconds,
    input_octets: d.inputOctets.toString(),
    output_octets: d.outputOctets.toString(),
  }));
  const t1s = deltas.map((d) => d.t1.getTime());
  await db.raw('SELECT radtrack_ensure_partitions(?, ?)', [new Date(Math.min(...t1s)), new Date(Math.max(...t1s))]);
  await db.raw(
    `SELECT radtrack_add_usage(ARRAY(
       SELECT (account_id, session_id, t0, t1, seconds, input_octets, output_octets)::radtrack_usage
       FROM json_to_recordset(?::json) AS d(account_id bigint, session_id bigint, t0 timestamptz, t1 timestamptz,
            seconds double precision, input_octets bigint, output_octets bigint)))`,
    [JSON.stringify(rows)],
  );
}
