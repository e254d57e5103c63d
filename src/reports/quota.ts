// `report quota` (cli.md): accounts at or above a share of their time or data quota in a period: the one asked
// for, or by default each account's current billing period (its own cycle, else the calendar month).
import type { Knex } from 'knex';
import { accountsWithQuota, type QuotaAccount } from '../db/sql/accounts.ts';
import { accountPeriod } from './billing-cycle.ts';
import type { Period } from './period.ts';
import { usageByAccount, type UsageRecord } from './usage.ts';

export interface QuotaRecord {
  username: string;
  seconds: number;
  time_quota_seconds: bigint | null;
  /** seconds / time quota (1 = used up); null without a time quota. */
  time_share: number | null;
  octets: bigint;
  data_quota_bytes: bigint | null;
  data_share: number | null;
  /** The billing period the shares are of, [from, to). */
  period_from: Date;
  period_to: Date;
}

// Shares are compared in integer parts per million, so a quota of 10 GB at threshold 0.8 is exactly 8 GB
// (bigint octets never pass through a float).
const PPM = 1_000_000n;

function share(used: bigint, quota: bigint | null): number | null {
  if (quota === null) return null;
  return Number((used * PPM) / quota) / 1e6;
}

function atOrAbove(used: bigint, quota: bigint | null, thresholdPpm: bigint): boolean {
  return quota !== null && used * PPM >= thresholdPpm * quota;
}

export interface QuotaQuery {
  /** One period for every account; without it, each account's current billing period. */
  period?: Period;
  /** The zone of calendar months and cycles of accounts that have no zone of their own (--tz). */
  zone?: string;
  now: Date;
  /** 0.8 = 80 % */
  threshold: number;
}

/** The accounts grouped by the period their usage is read in: one read of the usage per distinct period. */
function periodsOf(accounts: QuotaAccount[], q: QuotaQuery): { period: Period; accounts: QuotaAccount[] }[] {
  if (q.period) return [{ period: q.period, accounts }];
  const groups = new Map<string, { period: Period; accounts: QuotaAccount[] }>();
  for (const a of accounts) {
    const period = accountPeriod(a, q.now, 'current', q.zone);
    const key = `${period.from.getTime()}/${period.to.getTime()}`;
    const group = groups.get(key) ?? { period, accounts: [] };
    group.accounts.push(a);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** Accounts with a quota whose usage in their period reached `threshold` (0.8 = 80 %) of either, most used first. */
export async function quotaReport(knex: Knex, q: QuotaQuery): Promise<QuotaRecord[]> {
  const accounts = await accountsWithQuota(knex);
  if (accounts.length === 0) return [];
  const groups = periodsOf(accounts, q);
  const thresholdPpm = BigInt(Math.round(q.threshold * 1e6));
  const records: QuotaRecord[] = [];
  for (const { period, accounts: group } of groups) {
    // One period for all: every account's usage at once, as a calendar-month report always read it.
    const accountIds = groups.length === 1 ? undefined : group.map((a) => a.id);
    const rows = await usageByAccount(knex, { period, now: q.now, accountIds });
    const usage = new Map<bigint, UsageRecord>(rows.map((u) => [u.account_id, u]));
    for (const a of group) {
      const record = quotaRecord(a, usage.get(a.id), period, thresholdPpm);
      if (record) records.push(record);
    }
  }
  const top = (r: QuotaRecord) => Math.max(r.time_share ?? 0, r.data_share ?? 0);
  return records.sort((x, y) => top(y) - top(x) || x.username.localeCompare(y.username));
}

/** The account's row when its usage reached the threshold of either quota, else null. */
function quotaRecord(a: QuotaAccount, u: UsageRecord | undefined, period: Period, thresholdPpm: bigint): QuotaRecord | null {
  const seconds = u?.seconds ?? 0;
  const octets = u ? u.input_octets + u.output_octets : 0n;
  const wholeSeconds = BigInt(Math.round(seconds));
  if (!atOrAbove(wholeSeconds, a.time_quota_seconds, thresholdPpm) && !atOrAbove(octets, a.data_quota_bytes, thresholdPpm)) return null;
  return {
    username: a.username,
    seconds,
    time_quota_seconds: a.time_quota_seconds,
    time_share: share(wholeSeconds, a.time_quota_seconds),
    octets,
    data_quota_bytes: a.data_quota_bytes,
    data_share: share(octets, a.data_quota_bytes),
    period_from: period.from,
    period_to: period.to,
  };
}
