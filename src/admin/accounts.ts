// Accounts (accounting.md §7): provisioning, quotas, listing, deletion refused while sessions reference them.
// The SQL is the accounts family's, src/db/sql/accounts.ts.
import type { Knex } from 'knex';
import { isReferencedError } from '../db/errors.ts';
import { accountIdByUsername, deleteAccountById, listAccounts, upsertProvisionedAccount, type AccountRow } from '../db/sql/accounts.ts';
import { countSessions, type Referenced } from '../db/sql/sessions.ts';

export { listAccounts, type AccountRow };

export interface Quotas {
  timeQuotaSeconds?: number;
  dataQuotaBytes?: bigint;
}

/**
 * Creates a provisioned account, or marks an existing (e.g. auto-created) one provisioned.
 * Quotas given replace the stored ones; quotas not given are kept.
 */
export async function provisionAccount(knex: Knex, username: string, quotas: Quotas): Promise<{ created: boolean; account: AccountRow }> {
  const created = await upsertProvisionedAccount(knex, username, quotas);
  const [account] = await listAccounts(knex, username);
  return { created, account: account! };
}

export type DeleteAccountResult = { status: 'deleted' } | { status: 'not_found' } | Referenced;

/** Deletes the account; the database refuses while any session references it (accounting.md §7). */
export async function deleteAccount(knex: Knex, username: string): Promise<DeleteAccountResult> {
  const id = await accountIdByUsername(knex, username);
  if (id === null) return { status: 'not_found' };
  try {
    return { status: (await deleteAccountById(knex, id)) ? 'deleted' : 'not_found' };
  } catch (err) {
    if (!isReferencedError(err)) throw err;
    return { status: 'referenced', ...(await countSessions(knex, 'account_id', id)) };
  }
}
