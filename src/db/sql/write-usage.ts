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

/**
 * The hourly rollup rows of a set of deltas: each delta split at UTC hour boundaries through usage_share
 * (migration 20261122010000_reports), so rollups and report edges use one rule, and the pieces summed per
 * (hour, account). `source` is a relation with the usage_deltas columns (the ingest batch, or the whole table
 * in the benchmark). date_trunc takes 'UTC' explicitly: the session's TimeZone must not move hour
 * boundaries (Asia/Kolkata).
 */
export function hourlyRollupSelect(source: string): string {
  return `
SELECT h.hour, d.account_id,
       sum(usage_seconds_share(d.t0, d.t1, d.seconds, h.hour, h.hour + interval '1 hour')) AS seconds,
       sum(usage_share(d.t0, d.t1, d.input_octets, h.hour, h.hour + interval '1 hour')) AS input_octets,
       sum(usage_share(d.t0, d.t1, d.output_octets, h.hour, h.hour + interval '1 hour')) AS output_octets
FROM ${source} d
CROSS JOIN LATERAL generate_series(
  date_trunc('hour', d.t0, 'UTC'),
  greatest(d.t0, d.t1 - interval '1 microsecond'),
  interval '1 hour') AS h(hour)
GROUP BY h.hour, d.account_id`;
}

// One statement: the deltas arrive as ONE json parameter (a Bind message holds at most 65,535 parameters),
// are stored as they are, and are folded into usage_hourly. The pieces are summed per (hour, account) before
// the upsert: ON CONFLICT DO UPDATE may not touch one row twice (SQLSTATE 21000).
const WRITE_USAGE_SQL = `
WITH d AS (
  SELECT * FROM json_to_recordset(?::json) AS d(
    account_id bigint, session_id bigint, t0 timestamptz, t1 timestamptz,
    seconds double precision, input_octets bigint, output_octets bigint)
), stored AS (
  INSERT INTO usage_deltas (account_id, session_id, t0, t1, seconds, input_octets, output_octets)
  SELECT account_id, session_id, t0, t1, seconds, input_octets, output_octets FROM d
)
INSERT INTO usage_hourly AS u (hour, account_id, seconds, input_octets, output_octets)
${hourlyRollupSelect('d')}
ON CONFLICT (hour, account_id) DO UPDATE SET
  seconds = u.seconds + EXCLUDED.seconds,
  input_octets = u.input_octets + EXCLUDED.input_octets,
  output_octets = u.output_octets + EXCLUDED.output_octets
`;

/** Stores usage deltas and folds them into the hourly rollups; call it inside the ingest batch transaction. */
export async function writeUsage(trx: Knex.Transaction | Knex, deltas: UsageDelta[]): Promise<void> {
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
  await trx.raw(WRITE_USAGE_SQL, [JSON.stringify(rows)]);
}
