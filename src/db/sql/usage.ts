// The usage family: deltas and their hourly rollups. Ingest writes them inside its batch function
// (radtrack_write_batch → radtrack_add_usage); addUsage is the same function for other writers (imports, tests).
// usageRows is the one query that reads them back, for `report usage|top|quota` (src/reports/usage.ts):
//   whole UTC hours        usage_hourly (the deltas of at most a day)
//   non-hour-aligned edges usage_deltas, through the same usage_share rule the rollups were built with
//   deltas longer than a day  usage_deltas, their share of the whole period (they are not rolled up)
//   open sessions          covered time from last_update up to min(now, to); no octets (none reported yet)
//   sessions               sessions with any part in the period: login < to and coalesce(logout, now) > from,
//                          purged ones through the spans purge leaves (session_spans).
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

/** One usage row; snake_case because it is the cli.md JSON record as it is printed. */
export interface UsageRecord {
  account_id: bigint;
  username: string;
  sessions: number;
  seconds: number;
  input_octets: bigint;
  output_octets: bigint;
}

/**
 * What usageRows reads: the period [from, to) split into whole UTC hours (from the rollups) and edges (from the
 * deltas), as src/reports/period.ts planPeriod splits it.
 */
export interface UsageWindow {
  from: Date;
  to: Date;
  hours: { from: Date; to: Date } | null;
  edges: { from: Date; to: Date }[];
  /** The instant open sessions count up to. */
  now: Date;
  /** Only this account. */
  accountId?: bigint;
  /** Only these accounts (with accountId: only the one). */
  accountIds?: readonly bigint[];
}

interface RawUsage {
  account_id: bigint;
  username: string;
  sessions: number;
  seconds: string;
  input_octets: string;
  output_octets: string;
}

export type TopBy = 'octets' | 'seconds';

/** How the usage rows are picked: all by username, or the `limit` largest by octets (input + output) or seconds. */
export type UsageSelection = { kind: 'all' } | { kind: 'top'; by: TopBy; limit: number };

// The "short" bounds of the overlap indexes in migration 20261122010000_reports; the predicates must read
// exactly as the partial indexes' for the planner to use them.
const DELTA_SHORT = '1 day';
const SESSION_SHORT = '7 days';

function usageSql(q: UsageWindow, sel: UsageSelection): { sql: string; bindings: Record<string, unknown> } {
  const bindings: Record<string, unknown> = { t_from: q.from, t_to: q.to, t_now: q.now };
  let only = (_col: string) => '';
  if (q.accountId !== undefined) {
    bindings.account_id = q.accountId;
    only = (col) => `AND ${col} = :account_id`;
  } else if (q.accountIds !== undefined) {
    bindings.account_ids = `{${q.accountIds.join(',')}}`; // an int8[] literal: knex would spread a JS array
    only = (col) => `AND ${col} = ANY (:account_ids::bigint[])`;
  }
  const parts: string[] = [];
  if (q.hours) {
    bindings.h_from = q.hours.from;
    bindings.h_to = q.hours.to;
    parts.push(`
      SELECT account_id, 0 AS sessions, sum(seconds)::numeric AS seconds, sum(input_octets) AS input_octets,
             sum(output_octets) AS output_octets
      FROM usage_hourly WHERE hour >= :h_from::timestamptz AND hour < :h_to::timestamptz ${only('account_id')}
      GROUP BY account_id`);
  }
  const shares = (a: string, b: string) => `account_id, 0, sum(usage_seconds_share(t0, t1, seconds, ${a}, ${b})),
             sum(usage_share(t0, t1, input_octets, ${a}, ${b})), sum(usage_share(t0, t1, output_octets, ${a}, ${b}))`;
  q.edges.forEach((e, i) => {
    bindings[`e${i}_from`] = e.from;
    bindings[`e${i}_to`] = e.to;
    const [a, b] = [`:e${i}_from::timestamptz`, `:e${i}_to::timestamptz`];
    parts.push(`
      SELECT ${shares(a, b)} FROM usage_deltas
      WHERE t1 >= ${a} AND t1 < ${b} + interval '${DELTA_SHORT}' AND t0 < ${b} AND t1 - t0 <= interval '${DELTA_SHORT}' ${only('account_id')}
      GROUP BY account_id`);
  });
  // Deltas longer than a day are not in the rollups (radtrack_add_usage): their part of the whole period.
  parts.push(`
      SELECT ${shares(':t_from::timestamptz', ':t_to::timestamptz')} FROM usage_deltas
      WHERE t1 - t0 > interval '${DELTA_SHORT}' AND tstzrange(t0, t1, '[]') && tstzrange(:t_from::timestamptz, :t_to::timestamptz, '[)') ${only('account_id')}
      GROUP BY account_id`);
  const [t1, t2, now] = [':t_from::timestamptz', ':t_to::timestamptz', ':t_now::timestamptz'];
  parts.push(`
      SELECT account_id, 0, sum(extract(epoch FROM least(${now}, ${t2}) - greatest(last_update, ${t1}))), 0, 0
      FROM sessions
      WHERE logout IS NULL AND greatest(last_update, ${t1}) < least(${now}, ${t2}) ${only('account_id')}
      GROUP BY account_id`);
  // sessions with any part in [t1, t2): login < t2 and coalesce(logout, now) > t1 — closed short, closed long, open.
  // The long branch states "login < t2 and logout > t1" as a '[)' range overlap: the same for rows longer than a
  // week, and it leaves the planner no btree bait (a scan of the logout index from t1 to the end of history).
  // Purged sessions count through the spans purge leaves (session_spans), so a purge changes no report.
  for (const table of ['sessions', 'session_spans']) {
    parts.push(`
      SELECT account_id, count(*), 0, 0, 0 FROM ${table}
      WHERE logout > ${t1} AND logout < ${t2} + interval '${SESSION_SHORT}' AND login < ${t2}
        AND logout - login <= interval '${SESSION_SHORT}' ${only('account_id')}
      GROUP BY account_id`);
    parts.push(`
      SELECT account_id, count(*), 0, 0, 0 FROM ${table}
      WHERE logout - login > interval '${SESSION_SHORT}' AND tstzrange(login, logout, '[]') && tstzrange(${t1}, ${t2}, '[)')
        AND tstzrange(login, logout, '[)') && tstzrange(${t1}, ${t2}, '[)') ${only('account_id')}
      GROUP BY account_id`);
  }
  parts.push(`
      SELECT account_id, count(*), 0, 0, 0 FROM sessions
      WHERE logout IS NULL AND login < ${t2} AND ${now} > ${t1} ${only('account_id')}
      GROUP BY account_id`);
  const sql = `
    SELECT a.id AS account_id, a.username, sum(p.sessions)::int AS sessions, round(sum(p.seconds))::text AS seconds,
           round(sum(p.input_octets))::text AS input_octets, round(sum(p.output_octets))::text AS output_octets
    FROM (${parts.join('\n      UNION ALL')}) AS p (account_id, sessions, seconds, input_octets, output_octets)
    JOIN accounts a ON a.id = p.account_id
    GROUP BY a.id, a.username
    ${orderSql(sel, bindings)}`;
  return { sql, bindings };
}

function orderSql(sel: UsageSelection, bindings: Record<string, unknown>): string {
  if (sel.kind === 'all') return 'ORDER BY a.username';
  bindings.top_limit = sel.limit;
  const key = sel.by === 'octets' ? 'sum(p.input_octets) + sum(p.output_octets)' : 'sum(p.seconds)';
  return `ORDER BY ${key} DESC, a.username LIMIT :top_limit`;
}

/** Usage rows of the accounts that used anything in the window, picked by `sel`. */
export async function usageRows(knex: Knex, q: UsageWindow, sel: UsageSelection): Promise<UsageRecord[]> {
  const { sql, bindings } = usageSql(q, sel);
  const { rows } = (await withoutJit(knex, (trx) => trx.raw(sql, bindings))) as { rows: RawUsage[] };
  return rows.map((r) => ({
    account_id: r.account_id,
    username: r.username,
    sessions: r.sessions,
    seconds: Number(r.seconds),
    input_octets: BigInt(r.input_octets),
    output_octets: BigInt(r.output_octets),
  }));
}

/**
 * Runs report SQL with JIT compilation off. A usage query over millions of rows has a high estimated cost,
 * so PostgreSQL would JIT-compile it — and inlining + optimising its many numeric expressions took ~3 s of a
 * 4 s query in the benchmark, for no gain at run time. SET LOCAL keeps the setting to this transaction (on the
 * embedded backend, whose one session all clients share, too). PGlite has no JIT; the setting is accepted.
 */
function withoutJit<T>(knex: Knex, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return knex.transaction(async (trx) => {
    await trx.raw('SET LOCAL jit = off');
    return fn(trx);
  });
}
