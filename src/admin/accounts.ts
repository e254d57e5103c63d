// Accounts (accounting.md §7): provisioning, quotas, listing, deletion refused while sessions reference them.
import type { Knex } from 'knex';
import { deleteUnlessReferenced, type Referenced } from './references.ts';

export interface AccountRow {
  username: string;
  provisioned: boolean;
  time_quota_seconds: bigint | null;
  data_quota_bytes: bigint | null;
  sessions: bigint;
  open_sessions: bigint;
  created_at: Date;
}

export interface Quotas {
  timeQuotaSeconds?: number;
  dataQuotaBytes?: bigint;
}

/**
 * Creates a provisioned account, or marks an existing (e.g. auto-created) one provisioned.
 * Quotas given replace the stored ones; quotas not given are kept.
 */
export async function provisionAccount(knex: Knex, username: string, quotas: Quotas): Promise<{ created: boolean; account: AccountRow }> {
  const { rows } = await knex.raw<{ rows: { created: boolean }[] }>(
    `INSERT INTO accounts (username, provisioned, time_quota_seconds, data_quota_bytes)
     VALUES (?, true, ?::bigint, ?::bigint)
     ON CONFLICT (username) DO UPDATE SET
       provisioned = true,
       time_quota_seconds = coalesce(excluded.time_quota_seconds, accounts.time_quota_seconds),
       data_quota_bytes = coalesce(excluded.data_quota_bytes, accounts.data_quota_bytes)
     RETURNING (xmax = 0) AS created`, // xmax is 0 only on a freshly inserted row
    // knex's binding types lack bigint; the ::bigint casts take the decimal text exactly
    [username, quotas.timeQuotaSeconds ?? null, quotas.dataQuotaBytes?.toString() ?? null],
  );
  const [account] = await listAccounts(knex, username);
  return { created: rows[0]!.created, account: account! };
}

/** All accounts (or one), by username, with how many sessions reference each. */
export async function listAccounts(knex: Knex, username?: string): Promise<AccountRow[]> {
  const q = knex('accounts as a')
    .leftJoin('sessions as s', 's.account_id', 'a.id')
    .groupBy('a.id')
    .orderBy('a.username')
    .select(
      'a.username',
      'a.provisioned',
      'a.time_quota_seconds',
      'a.data_quota_bytes',
      knex.raw('count(s.id) as sessions'),
      knex.raw('count(s.id) filter (where s.logout is null) as open_sessions'),
      'a.created_at',
    );
  if (username !== undefined) q.where('a.username', username);
  return q;
}

export type DeleteAccountResult = { status: 'deleted' } | { status: 'not_found' } | Referenced;

/** Deletes the account; the database refuses while any session references it (FK ON DELETE RESTRICT). */
export async function deleteAccount(knex: Knex, username: string): Promise<DeleteAccountResult> {
  const account = await knex('accounts').where({ username }).first<{ id: bigint } | undefined>('id');
  if (!account) return { status: 'not_found' };
  return deleteUnlessReferenced(knex, 'accounts', account.id, 'account_id');
}
