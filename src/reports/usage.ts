// Usage per account in a period (accounting.md §9, cli.md `report usage`), answered from the hourly rollups plus
// exact edges from the usage deltas: the period is split here (planPeriod), the query is the usage family's
// (src/db/sql/usage.ts usageRows). Only the part of each session inside the period counts.
import type { Knex } from 'knex';
import { usernameOfAccount } from '../db/sql/accounts.ts';
import { usageRows, type TopBy, type UsageRecord, type UsageSelection } from '../db/sql/usage.ts';
import { planPeriod, type Period } from './period.ts';

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

function queryUsage(knex: Knex, q: UsageQuery, sel: UsageSelection): Promise<UsageRecord[]> {
  const { from, to } = q.period;
  return usageRows(knex, { from, to, ...planPeriod(q.period), now: q.now, accountId: q.accountId, accountIds: q.accountIds }, sel);
}

/** The `limit` accounts that used most in the period, by octets (input + output) or seconds; ties by username. */
export async function topUsage(knex: Knex, q: UsageQuery, by: TopBy, limit: number): Promise<UsageRecord[]> {
  return queryUsage(knex, q, { kind: 'top', by, limit });
}

/** Usage per account in the period, by username; accounts with nothing in the period are left out. */
export async function usageByAccount(knex: Knex, q: UsageQuery): Promise<UsageRecord[]> {
  const records = await queryUsage(knex, q, { kind: 'all' });
  if (q.accountId !== undefined && records.length === 0) {
    const username = await usernameOfAccount(knex, q.accountId);
    if (username !== null) records.push({ account_id: q.accountId, username, sessions: 0, seconds: 0, input_octets: 0n, output_octets: 0n });
  }
  return records;
}
