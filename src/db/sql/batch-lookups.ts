// Lookups and get-or-create steps of one ingest batch, each one statement for the whole batch.
import type { Knex } from 'knex';
import type { DbSession } from '../rows.ts';

type Db = Knex | Knex.Transaction;

/** Accounts by username; unknown ones are created, not provisioned (§7: accounting data is never dropped). */
export async function ensureAccounts(db: Db, usernames: string[]): Promise<Map<string, bigint>> {
  const ids = new Map<string, bigint>();
  if (usernames.length === 0) return ids;
  const { rows } = await db.raw<{ rows: { id: bigint; username: string }[] }>(
    `WITH input AS (SELECT DISTINCT unnest(?::text[]) AS username),
          created AS (INSERT INTO accounts (username) SELECT username FROM input
                      ON CONFLICT (username) DO NOTHING RETURNING id, username)
     SELECT id, username FROM created
     UNION ALL SELECT a.id, a.username FROM accounts a JOIN input USING (username)`,
    [usernames],
  );
  for (const r of rows) ids.set(r.username, r.id);
  return ids;
}

export const portRef = (nasId: bigint, portKey: string) => `${nasId}|${portKey}`;

/** Ports by (NAS, key), created on first sight (§4). */
export async function ensurePorts(db: Db, ports: { nasId: bigint; portKey: string }[]): Promise<Map<string, bigint>> {
  const ids = new Map<string, bigint>();
  if (ports.length === 0) return ids;
  const { rows } = await db.raw<{ rows: { id: bigint; nas_id: bigint; port_key: string }[] }>(
    `WITH input AS (SELECT DISTINCT * FROM unnest(?::bigint[], ?::text[]) AS i(nas_id, port_key)),
          created AS (INSERT INTO ports (nas_id, port_key) SELECT nas_id, port_key FROM input
                      ON CONFLICT (nas_id, port_key) DO NOTHING RETURNING id, nas_id, port_key)
     SELECT id, nas_id, port_key FROM created
     UNION ALL SELECT p.id, p.nas_id, p.port_key FROM ports p JOIN input USING (nas_id, port_key)`,
    [ports.map((p) => String(p.nasId)), ports.map((p) => p.portKey)],
  );
  for (const r of rows) ids.set(portRef(r.nas_id, r.port_key), r.id);
  return ids;
}

/**
 * The sessions a batch can touch, locked until commit: the latest session of each identity named by the
 * batch, and every open session on the ports it names (the port-conflict rules need them).
 */
export async function lockBatchSessions(
  db: Db,
  identities: { nasId: bigint; acctSessionId: string }[],
  portIds: bigint[],
): Promise<DbSession[]> {
  if (identities.length === 0 && portIds.length === 0) return [];
  const { rows } = await db.raw<{ rows: DbSession[] }>(
    // A UNION of two index lookups: an OR of the two conditions makes PostgreSQL scan the whole table.
    `SELECT s.* FROM sessions s
     WHERE s.id IN (
       (SELECT DISTINCT ON (x.nas_id, x.acct_session_id, x.port_id, x.account_id) x.id
        FROM sessions x JOIN unnest(?::bigint[], ?::text[]) AS k(nas_id, acct_session_id)
          ON x.nas_id = k.nas_id AND x.acct_session_id = k.acct_session_id
        ORDER BY x.nas_id, x.acct_session_id, x.port_id, x.account_id, x.login DESC, x.id DESC)
       UNION
       SELECT o.id FROM sessions o WHERE o.port_id = ANY(?::bigint[]) AND o.logout IS NULL)
     ORDER BY s.id
     FOR UPDATE`,
    [identities.map((i) => String(i.nasId)), identities.map((i) => i.acctSessionId), portIds.map(String)],
  );
  return rows;
}
