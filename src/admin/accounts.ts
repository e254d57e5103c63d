// Accounts (accounting.md §7): provisioning, quotas, listing, deletion refused while sessions reference them.
// The SQL is the accounts family's, src/db/sql/accounts.ts.
import type { Knex } from 'knex';
import { isReferencedError } from '../db/errors.ts';
import {
  accountByUsername,
  deleteAccountById,
  listAccounts,
  updateAccountByUsername,
  upsertProvisionedAccount,
  type AccountColumns,
  type AccountRow,
} from '../db/sql/accounts.ts';
import { countSessions, type Referenced } from '../db/sql/sessions.ts';

export { listAccounts, type AccountRow };

/** Quotas per billing period, and the billing cycle: an anchor day (1–28) and its zone. Undefined: kept. */
export type AccountSettings = AccountColumns;

/**
 * Creates a provisioned account, or marks an existing (e.g. auto-created) one provisioned.
 * Settings given replace the stored ones; settings not given are kept.
 */
export async function provisionAccount(knex: Knex, username: string, settings: AccountSettings): Promise<{ created: boolean; account: AccountRow }> {
  const created = await upsertProvisionedAccount(knex, username, settings);
  const [account] = await listAccounts(knex, username);
  return { created, account: account! };
}

/** Changes the settings given of an existing account (it stays as provisioned as it was); null when there is none. */
export async function updateAccount(knex: Knex, username: string, changes: AccountSettings): Promise<AccountRow | null> {
  if (!(await updateAccountByUsername(knex, username, changes))) return null;
  const [account] = await listAccounts(knex, username);
  return account ?? null;
}

export type DeleteAccountResult = { status: 'deleted' } | { status: 'not_found' } | Referenced;

/** Deletes the account; the database refuses while any session references it (accounting.md §7). */
export async function deleteAccount(knex: Knex, username: string): Promise<DeleteAccountResult> {
  const id = (await accountByUsername(knex, username))?.id ?? null;
  if (id === null) return { status: 'not_found' };
  try {
    return { status: (await deleteAccountById(knex, id)) ? 'deleted' : 'not_found' };
  } catch (err) {
    if (!isReferencedError(err)) throw err;
    return { status: 'referenced', ...(await countSessions(knex, 'account_id', id)) };
  }
}
