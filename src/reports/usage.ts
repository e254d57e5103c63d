// Usage per account in a period (accounting.md §9, cli.md `report usage`), answered from the rollups:
//   whole UTC hours        usage_hourly (the deltas of at most a day)
//   non-hour-aligned edges usage_deltas, through the same usage_share rule the rollups were built with
//   deltas longer than a day  usage_deltas, their share of the whole period (they are not rolled up)
//   open sessions          covered time from last_update up to min(now, to); no octets (none reported yet)
//   sessions               sessions with any part in the period: login < to and coalesce(logout, now) > from.
//                          Only sessions still kept count: after a purge the rollups keep the usage, not the sessions.
import type { Knex } from 'knex';
import { withoutJit } from './without-jit.ts';
import { planPeriod, type Period } from './period.ts';

/** One usage row; snake_case because it is the cli.md JSON record as it is printed. */
export interface UsageRecord {
  account_id: bigint;
  username: string;
  sessions: number;
  seconds: number;
  input_octets: bigint;
  output_octets: bigint;
}

export interface UsageQuery {
  period: Period;
  /** The instant open sessions count up to. */
  now: Date;
  /** Only this account (its row is returned even when it used nothing). */
  accountId?: bigint;
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
type Selection = { kind: 'all' } | { kind: 'top'; by: TopBy; limit: number };

// The "short" bounds of the overlap indexes in migration 20261122010000_reports; the predicates must read
// exactly as the partial indexes' for the planner to use them.
const DELTA_SHORT = '1 day';
const SESSION_SHORT = '7 days';

function usageSql(q: UsageQuery, sel: Selection): { sql: string; bindings: Record<string, unknown> } {
  const plan = planPeriod(q.period);
  const bindings: Record<string, unknown> = { t_from: q.period.from, t_to: q.period.to, t_now: q.now };
  const only = (col: string) => (q.accountId === undefined ? '' : `AND ${col} = :account_id`);
  if (q.accountId !== undefined) bindings.account_id = q.accountId;
  const parts: string[] = [];
  if (plan.hours) {
    bindings.h_from = plan.hours.from;
    bindings.h_to = plan.hours.to;
    parts.push(`
      SELECT account_id, 0 AS sessions, sum(seconds)::numeric AS seconds, sum(input_octets) AS input_octets,
             sum(output_octets) AS output_octets
      FROM usage_hourly WHERE hour >= :h_from::timestamptz AND hour < :h_to::timestamptz ${only('account_id')}
      GROUP BY account_id`);
  }
  const shares = (a: string, b: string) => `account_id, 0, sum(usage_seconds_share(t0, t1, seconds, ${a}, ${b})),
             sum(usage_share(t0, t1, input_octets, ${a}, ${b})), sum(usage_share(t0, t1, output_octets, ${a}, ${b}))`;
  plan.edges.forEach((e, i) => {
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

function orderSql(sel: Selection, bindings: Record<string, unknown>): string {
  if (sel.kind === 'all') return 'ORDER BY a.username';
  bindings.top_limit = sel.limit;
  const key = sel.by === 'octets' ? 'sum(p.input_octets) + sum(p.output_octets)' : 'sum(p.seconds)';
  return `ORDER BY ${key} DESC, a.username LIMIT :top_limit`;
}

async function queryUsage(knex: Knex, q: UsageQuery, sel: Selection): Promise<UsageRecord[]> {
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

/** The `limit` accounts that used most in the period, by octets (input + output) or seconds; ties by username. */
export async function topUsage(knex: Knex, q: UsageQuery, by: TopBy, limit: number): Promise<UsageRecord[]> {
  return queryUsage(knex, q, { kind: 'top', by, limit });
}

/** Usage per account in the period, by username; accounts with nothing in the period are left out. */
export async function usageByAccount(knex: Knex, q: UsageQuery): Promise<UsageRecord[]> {
  const records = await queryUsage(knex, q, { kind: 'all' });
  if (q.accountId !== undefined && records.length === 0) {
    const account = await knex('accounts').where({ id: q.accountId }).first('username');
    if (account) records.push({ account_id: q.accountId, username: account.username, sessions: 0, seconds: 0, input_octets: 0n, output_octets: 0n });
  }
  return records;
}
