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
 * What usageRows reads: the period [from, to) split as src/reports/period.ts plans it: whole UTC hours (read from
 * the monthly rollups where whole UTC months fit, from the hourly ones for the rest) and edges (from the deltas).
 */
export interface UsageWindow {
  from: Date;
  to: Date;
  hours: { from: Date; to: Date } | null;
  /** How `hours` is read: whole months from usage_monthly, hours added or taken away from usage_hourly. */
  rollups: { months: { from: Date; to: Date } | null; add: { from: Date; to: Date }[]; subtract: { from: Date; to: Date }[] } | null;
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

/** Only these accounts: one (q.accountId), a list (the top accounts' session counts), or all. */
type Only = (col: string) => string;

/**
 * The parts of a usage query, each a select of (account_id, sessions, seconds, input_octets, output_octets) rows:
 * `usage` gives the seconds and octets (and the open sessions' count), `counts` the closed and purged sessions'.
 */
function usageParts(q: UsageWindow, bindings: Record<string, unknown>, only: Only): { usage: string[]; counts: string[] } {
  const plan = q;
  const usage: string[] = [];
  if (plan.hours && plan.rollups) {
    // Whole UTC months from usage_monthly, the other hours from usage_hourly (planRollups). Where an hour is
    // taken away, an account whose rows net to nothing is still kept if it has a row in the period's hours, as
    // when every hour was read from usage_hourly.
    const r = plan.rollups;
    bindings.h_from = plan.hours.from;
    bindings.h_to = plan.hours.to;
    const sources: string[] = [];
    if (r.months) {
      // Summed on their own first: one row per account joins the few hourly rows.
      bindings.m_from = r.months.from;
      bindings.m_to = r.months.to;
      sources.push(`SELECT account_id, false, sum(seconds), sum(input_octets), sum(output_octets) FROM usage_monthly
        WHERE month >= :m_from::timestamptz AND month < :m_to::timestamptz ${only('account_id')} GROUP BY account_id`);
    }
    const hourly = (name: string, range: { from: Date; to: Date }, sign: '' | '-') => {
      bindings[`${name}_from`] = range.from;
      bindings[`${name}_to`] = range.to;
      sources.push(`SELECT account_id, ${sign === '-'}, ${sign}seconds, ${sign}input_octets, ${sign}output_octets FROM usage_hourly
        WHERE hour >= :${name}_from::timestamptz AND hour < :${name}_to::timestamptz ${only('account_id')}`);
    };
    r.add.forEach((range, i) => hourly(`add${i}`, range, ''));
    r.subtract.forEach((range, i) => hourly(`sub${i}`, range, '-'));
    usage.push(`
      SELECT account_id, 0 AS sessions, sum(seconds)::numeric AS seconds, sum(input_octets) AS input_octets,
             sum(output_octets) AS output_octets
      FROM (${sources.join('\n        UNION ALL ')}) AS u (account_id, sub, seconds, input_octets, output_octets)
      GROUP BY account_id
      ${r.subtract.length === 0 ? '' : `HAVING NOT bool_or(sub) OR EXISTS (SELECT 1 FROM usage_hourly x
        WHERE x.account_id = u.account_id AND x.hour >= :h_from::timestamptz AND x.hour < :h_to::timestamptz)`}`);
  }
  const shares = (a: string, b: string) => `account_id, 0, sum(usage_seconds_share(t0, t1, seconds, ${a}, ${b})),
             sum(usage_share(t0, t1, input_octets, ${a}, ${b})), sum(usage_share(t0, t1, output_octets, ${a}, ${b}))`;
  plan.edges.forEach((e, i) => {
    bindings[`e${i}_from`] = e.from;
    bindings[`e${i}_to`] = e.to;
    const [a, b] = [`:e${i}_from::timestamptz`, `:e${i}_to::timestamptz`];
    usage.push(`
      SELECT ${shares(a, b)} FROM usage_deltas
      WHERE t1 >= ${a} AND t1 < ${b} + interval '${DELTA_SHORT}' AND t0 < ${b} AND t1 - t0 <= interval '${DELTA_SHORT}' ${only('account_id')}
      GROUP BY account_id`);
  });
  // Deltas longer than a day are not in the rollups (radtrack_add_usage): their part of the whole period.
  usage.push(`
      SELECT ${shares(':t_from::timestamptz', ':t_to::timestamptz')} FROM usage_deltas
      WHERE t1 - t0 > interval '${DELTA_SHORT}' AND tstzrange(t0, t1, '[]') && tstzrange(:t_from::timestamptz, :t_to::timestamptz, '[)') ${only('account_id')}
      GROUP BY account_id`);
  const [t1, t2, now] = [':t_from::timestamptz', ':t_to::timestamptz', ':t_now::timestamptz'];
  // Open sessions, in one pass over sessions_open (it can hold a million rows): covered time from last_update up
  // to min(now, to), no octets (none reported yet); and those with any part in the period (login < to, now > from).
  const covered = `greatest(last_update, ${t1}) < least(${now}, ${t2})`;
  const opened = `login < ${t2} AND ${now} > ${t1}`;
  usage.push(`
      SELECT account_id, count(*) FILTER (WHERE ${opened}),
             coalesce(sum(extract(epoch FROM least(${now}, ${t2}) - greatest(last_update, ${t1}))) FILTER (WHERE ${covered}), 0), 0, 0
      FROM sessions
      WHERE logout IS NULL AND (${covered} OR ${opened}) ${only('account_id')}
      GROUP BY account_id`);
  // Closed sessions with any part in [t1, t2): login < t2 and logout > t1 — short and long.
  // The long branch states "login < t2 and logout > t1" as a '[)' range overlap: the same for rows longer than a
  // week, and it leaves the planner no btree bait (a scan of the logout index from t1 to the end of history).
  // Purged sessions count through the spans purge leaves (session_spans), so a purge changes no report.
  const counts: string[] = [];
  for (const table of ['sessions', 'session_spans']) {
    counts.push(`
      SELECT account_id, count(*), 0, 0, 0 FROM ${table}
      WHERE logout > ${t1} AND logout < ${t2} + interval '${SESSION_SHORT}' AND login < ${t2}
        AND logout - login <= interval '${SESSION_SHORT}' ${only('account_id')}
      GROUP BY account_id`);
    counts.push(`
      SELECT account_id, count(*), 0, 0, 0 FROM ${table}
      WHERE logout - login > interval '${SESSION_SHORT}' AND tstzrange(login, logout, '[]') && tstzrange(${t1}, ${t2}, '[)')
        AND tstzrange(login, logout, '[)') && tstzrange(${t1}, ${t2}, '[)') ${only('account_id')}
      GROUP BY account_id`);
  }
  return { usage, counts };
}

function baseBindings(q: UsageWindow): { bindings: Record<string, unknown>; only: Only } {
  const bindings: Record<string, unknown> = { t_from: q.from, t_to: q.to, t_now: q.now };
  if (q.accountId !== undefined) {
    bindings.account_id = q.accountId;
    return { bindings, only: (col) => `AND ${col} = :account_id` };
  }
  if (q.accountIds !== undefined) {
    bindings.account_ids = `{${q.accountIds.join(',')}}`; // an int8[] literal: knex would spread a JS array
    return { bindings, only: (col) => `AND ${col} = ANY (:account_ids::bigint[])` };
  }
  return { bindings, only: () => '' };
}

const unionOf = (parts: string[]) => `(${parts.join('\n      UNION ALL')}) AS p (account_id, sessions, seconds, input_octets, output_octets)`;

const RECORD_SELECT = `a.id AS account_id, a.username, sum(p.sessions)::int AS sessions, round(sum(p.seconds))::text AS seconds,
           round(sum(p.input_octets))::text AS input_octets, round(sum(p.output_octets))::text AS output_octets`;

function usageSql(q: UsageWindow, sel: UsageSelection): { sql: string; bindings: Record<string, unknown> } {
  const { bindings, only } = baseBindings(q);
  const { usage, counts } = usageParts(q, bindings, only);
  const sql = `
    SELECT ${RECORD_SELECT}
    FROM ${unionOf([...usage, ...counts])}
    JOIN accounts a ON a.id = p.account_id
    GROUP BY a.id, a.username
    ${orderSql(sel, bindings)}`;
  return { sql, bindings };
}

function orderSql(sel: UsageSelection, bindings: Record<string, unknown>): string {
  if (sel.kind === 'all') return 'ORDER BY a.username';
  bindings.top_limit = sel.limit;
  return `ORDER BY ${topKey(sel.by)} DESC, a.username LIMIT :top_limit`;
}

const topKey = (by: TopBy) => (by === 'octets' ? 'sum(p.input_octets) + sum(p.output_octets)' : 'sum(p.seconds)');

const toRecord = (r: RawUsage): UsageRecord => ({
  account_id: r.account_id,
  username: r.username,
  sessions: r.sessions,
  seconds: Number(r.seconds),
  input_octets: BigInt(r.input_octets),
  output_octets: BigInt(r.output_octets),
});

/** Usage rows of the accounts that used anything in the window, picked by `sel`. */
export async function usageRows(knex: Knex, q: UsageWindow, sel: UsageSelection): Promise<UsageRecord[]> {
  const { sql, bindings } = usageSql(q, sel);
  const { rows } = (await reportTransaction(knex, (trx) => trx.raw(sql, bindings))) as { rows: RawUsage[] };
  return rows.map(toRecord);
}

/**
 * The top accounts without counting every account's sessions: which accounts lead depends on usage only, so
 * the leaders are picked from the usage parts, and only their closed sessions are counted. An account with
 * sessions but no usage has 0 and ranks after every account that used something: when the last leader used
 * nothing (or there are fewer leaders than the limit), such an account could be among them, and the whole
 * query answers instead.
 */
export async function topUsageRows(knex: Knex, q: UsageWindow, by: TopBy, limit: number): Promise<UsageRecord[]> {
  if (limit <= 0) return usageRows(knex, q, { kind: 'top', by, limit });
  return reportTransaction(knex, async (trx) => {
    const { bindings, only } = baseBindings(q);
    const { usage } = usageParts(q, bindings, only);
    const { rows: leaders } = (await trx.raw(
      `SELECT ${RECORD_SELECT}, ${topKey(by)} > 0 AS used
       FROM ${unionOf(usage)}
       JOIN accounts a ON a.id = p.account_id
       GROUP BY a.id, a.username
       ${orderSql({ kind: 'top', by, limit }, bindings)}`,
      bindings,
    )) as { rows: (RawUsage & { used: boolean })[] };
    if (leaders.length < limit || !leaders[leaders.length - 1]!.used) {
      const { sql, bindings: all } = usageSql(q, { kind: 'top', by, limit });
      const { rows } = (await trx.raw(sql, all)) as { rows: RawUsage[] };
      return rows.map(toRecord);
    }
    const ids = leaders.map((r) => String(r.account_id));
    const { bindings: cb } = baseBindings(q);
    cb.leader_ids = ids;
    const { counts } = usageParts(q, cb, (col) => `AND ${col} = ANY (:leader_ids::bigint[])`);
    const { rows: counted } = (await trx.raw(
      `SELECT p.account_id, sum(p.sessions)::int AS sessions FROM ${unionOf(counts)} GROUP BY p.account_id`,
      cb,
    )) as { rows: { account_id: bigint; sessions: number }[] };
    const closed = new Map(counted.map((c) => [String(c.account_id), c.sessions]));
    return leaders.map((r) => toRecord({ ...r, sessions: r.sessions + (closed.get(String(r.account_id)) ?? 0) }));
  });
}

/**
 * Runs report SQL in a transaction of its own with settings for one big read, SET LOCAL so they end with it (on
 * the embedded backend, whose one session all clients share, too):
 * * jit off: a usage query over millions of rows has a high estimated cost, so PostgreSQL would JIT-compile it —
 *   and inlining + optimising its many numeric expressions took ~3 s of a 4 s query in the benchmark, for no gain
 *   at run time. PGlite has no JIT; the setting is accepted.
 * * work_mem 64MB: grouping and sorting one row per account (50,000 accounts in the benchmark) fits in memory,
 *   where the server's default 4MB spilled each sort and hash to disk (bench/reports.ts, EXPLAIN ANALYZE).
 */
function reportTransaction<T>(knex: Knex, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return knex.transaction(async (trx) => {
    await trx.raw(`SET LOCAL jit = off; SET LOCAL work_mem = '64MB'`);
    return fn(trx);
  });
}
