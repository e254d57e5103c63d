// `report quota` (cli.md): accounts at or above a share of their time or data quota in a period.
import type { Knex } from 'knex';
import { accountsWithQuota } from '../db/sql/accounts.ts';
import type { Period } from './period.ts';
import { usageByAccount } from './usage.ts';

export interface QuotaRecord {
  username: string;
  seconds: number;
  time_quota_seconds: bigint | null;
  /** seconds / time quota (1 = used up); null without a time quota. */
  time_share: number | null;
  octets: bigint;
  data_quota_bytes: bigint | null;
  data_share: number | null;
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

/** Accounts with a quota whose usage in the period reached `threshold` (0.8 = 80 %) of either, most used first. */
export async function quotaReport(knex: Knex, q: { period: Period; now: Date; threshold: number }): Promise<QuotaRecord[]> {
  const accounts = await accountsWithQuota(knex);
  if (accounts.length === 0) return [];
  const usage = new Map((await usageByAccount(knex, { period: q.period, now: q.now })).map((u) => [u.account_id, u]));
  const thresholdPpm = BigInt(Math.round(q.threshold * 1e6));
  const records: QuotaRecord[] = [];
  for (const a of accounts) {
    const u = usage.get(a.id);
    const seconds = u?.seconds ?? 0;
    const octets = u ? u.input_octets + u.output_octets : 0n;
    const wholeSeconds = BigInt(Math.round(seconds));
    if (!atOrAbove(wholeSeconds, a.time_quota_seconds, thresholdPpm) && !atOrAbove(octets, a.data_quota_bytes, thresholdPpm)) continue;
    records.push({
      username: a.username,
      seconds,
      time_quota_seconds: a.time_quota_seconds,
      time_share: share(wholeSeconds, a.time_quota_seconds),
      octets,
      data_quota_bytes: a.data_quota_bytes,
      data_share: share(octets, a.data_quota_bytes),
    });
  }
  const top = (r: QuotaRecord) => Math.max(r.time_share ?? 0, r.data_share ?? 0);
  return records.sort((x, y) => top(y) - top(x) || x.username.localeCompare(y.username));
}
