// The accounts family (accounting.md §7): provisioning with quotas and billing cycles, changing them, the listing
// with session counts, lookups by username, deletion (refused by the database while sessions reference the
// account), and the accounts with a quota that `report quota` reads.
import type { Knex } from 'knex';

type Db = Knex | Knex.Transaction;

export interface AccountRow {
  username: string;
  provisioned: boolean;
  time_quota_seconds: bigint | null;
  data_quota_bytes: bigint | null;
  /** Billing-cycle anchor day (1–28); null: calendar months. */
  cycle_day: number | null;
  /** Zone of the billing cycle; null: the zone the report is asked in. */
  cycle_tz: string | null;
  sessions: bigint;
  open_sessions: bigint;
  created_at: Date;
}

/** Columns an admin command sets; undefined leaves a column as it is. */
export interface AccountColumns {
  timeQuotaSeconds?: number;
  dataQuotaBytes?: bigint;
  cycleDay?: number;
  cycleTz?: string;
}

/** The columns given, with the text of bigints (knex's binding types lack bigint). */
function columnsOf(cols: AccountColumns): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (cols.timeQuotaSeconds !== undefined) out.time_quota_seconds = cols.timeQuotaSeconds;
  if (cols.dataQuotaBytes !== undefined) out.data_quota_bytes = cols.dataQuotaBytes.toString();
  if (cols.cycleDay !== undefined) out.cycle_day = cols.cycleDay;
  if (cols.cycleTz !== undefined) out.cycle_tz = cols.cycleTz;
  return out;
}

/**
 * Inserts a provisioned account, or marks an existing (e.g. auto-created) one provisioned. Columns given replace
 * the stored ones; columns not given are kept. True when the row is new.
 */
export async function upsertProvisionedAccount(db: Db, username: string, cols: AccountColumns): Promise<boolean> {
  const { rows } = await db.raw<{ rows: { created: boolean }[] }>(
    `INSERT INTO accounts (username, provisioned, time_quota_seconds, data_quota_bytes, cycle_day, cycle_tz)
     VALUES (?, true, ?::bigint, ?::bigint, ?::smallint, ?::text)
     ON CONFLICT (username) DO UPDATE SET
       provisioned = true,
       time_quota_seconds = coalesce(excluded.time_quota_seconds, accounts.time_quota_seconds),
       data_quota_bytes = coalesce(excluded.data_quota_bytes, accounts.data_quota_bytes),
       cycle_day = coalesce(excluded.cycle_day, accounts.cycle_day),
       cycle_tz = coalesce(excluded.cycle_tz, accounts.cycle_tz)
     RETURNING (xmax = 0) AS created`, // xmax is 0 only on a freshly inserted row
    // knex's binding types lack bigint; the ::bigint casts take the decimal text exactly
    [username, cols.timeQuotaSeconds ?? null, cols.dataQuotaBytes?.toString() ?? null, cols.cycleDay ?? null, cols.cycleTz ?? null],
  );
  return rows[0]!.created;
}

/** Changes the columns given of an existing account; false when there is no account of that name. */
export async function updateAccountByUsername(db: Db, username: string, cols: AccountColumns): Promise<boolean> {
  const changes = columnsOf(cols);
  if (Object.keys(changes).length === 0) return (await accountByUsername(db, username)) !== null;
  return (await db('accounts').where({ username }).update(changes)) > 0;
}

/** All accounts (or one), by username, with how many sessions reference each. */
export async function listAccounts(db: Db, username?: string): Promise<AccountRow[]> {
  const q = db('accounts as a')
    .leftJoin('sessions as s', 's.account_id', 'a.id')
    .groupBy('a.id')
    .orderBy('a.username')
    .select(
      'a.username',
      'a.provisioned',
      'a.time_quota_seconds',
      'a.data_quota_bytes',
      'a.cycle_day',
      'a.cycle_tz',
      db.raw('count(s.id) as sessions'),
      db.raw('count(s.id) filter (where s.logout is null) as open_sessions'),
      'a.created_at',
    );
  if (username !== undefined) q.where('a.username', username);
  return q;
}

export interface AccountRef {
  id: bigint;
  cycle_day: number | null;
  cycle_tz: string | null;
}

/** An account's id and billing cycle, by username; null when there is none. */
export async function accountByUsername(db: Db, username: string): Promise<AccountRef | null> {
  const row = await db('accounts').where({ username }).first<AccountRef | undefined>('id', 'cycle_day', 'cycle_tz');
  return row ?? null;
}

export async function usernameOfAccount(db: Db, id: bigint): Promise<string | null> {
  const row = await db('accounts').where({ id }).first<{ username: string } | undefined>('username');
  return row?.username ?? null;
}

/**
 * Deletes one account; false when there is none with that id. The database refuses while any session references
 * it (a trigger raising foreign_key_violation), and that error is thrown as it is.
 */
export async function deleteAccountById(db: Db, id: bigint): Promise<boolean> {
  return (await db('accounts').where('id', id.toString()).delete()) > 0;
}

export interface QuotaAccount {
  id: bigint;
  username: string;
  time_quota_seconds: bigint | null;
  data_quota_bytes: bigint | null;
  cycle_day: number | null;
  cycle_tz: string | null;
}

/** The accounts with a time or a data quota, with their billing cycles. */
export async function accountsWithQuota(db: Db): Promise<QuotaAccount[]> {
  return db('accounts')
    .whereNotNull('time_quota_seconds')
    .orWhereNotNull('data_quota_bytes')
    .select<QuotaAccount[]>('id', 'username', 'time_quota_seconds', 'data_quota_bytes', 'cycle_day', 'cycle_tz');
}
