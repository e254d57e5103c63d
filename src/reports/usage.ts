// Usage per account in a period (accounting.md §9, cli.md `report usage`), answered from the rollups:
//   whole UTC months       usage_monthly (the same sums as usage_hourly, per month)
//   whole UTC hours        usage_hourly (the deltas of at most a day), added or taken away at the months' ends
//   non-hour-aligned edges usage_deltas, through the same usage_share rule the rollups were built with
//   deltas longer than a day  usage_deltas, their share of the whole period (they are not rolled up)
//   open sessions          covered time from last_update up to min(now, to); no octets (none reported yet)
//   sessions               sessions with any part in the period, purged ones through session_spans.
// The period is split here (planPeriod, planRollups); the query is the usage family's (src/db/sql/usage.ts).
import type { Knex } from 'knex';
import { usernameOfAccount } from '../db/sql/accounts.ts';
import { topUsageRows, usageRows, type TopBy, type UsageRecord, type UsageWindow } from '../db/sql/usage.ts';
import { planPeriod, planRollups, type Period } from './period.ts';

export type { TopBy, UsageRecord };

export interface UsageQuery {
  period: Period;
  /** The instant open sessions count up to. */
  now: Date;
  /** Only this account (its row is returned even when it used nothing). */
  accountId?: bigint;
  /** Only these accounts (rows only for those that used anything). */
  accountIds?: readonly bigint[];
}

function windowOf(q: UsageQuery): UsageWindow {
  const { from, to } = q.period;
  const plan = planPeriod(q.period);
  const rollups = plan.hours ? planRollups(plan.hours) : null;
  return { from, to, ...plan, rollups, now: q.now, accountId: q.accountId, accountIds: q.accountIds };
}

/** The `limit` accounts that used most in the period, by octets (input + output) or seconds; ties by username. */
export async function topUsage(knex: Knex, q: UsageQuery, by: TopBy, limit: number): Promise<UsageRecord[]> {
  return topUsageRows(knex, windowOf(q), by, limit);
}

/** Usage per account in the period, by username; accounts with nothing in the period are left out. */
export async function usageByAccount(knex: Knex, q: UsageQuery): Promise<UsageRecord[]> {
  const records = await usageRows(knex, windowOf(q), { kind: 'all' });
  if (q.accountId !== undefined && records.length === 0) {
    const username = await usernameOfAccount(knex, q.accountId);
    if (username !== null) records.push({ account_id: q.accountId, username, sessions: 0, seconds: 0, input_octets: 0n, output_octets: 0n });
  }
  return records;
}
