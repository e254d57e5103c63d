// The radacct family (migration 20261203000000_radacct): reading a FreeRADIUS radacct table in another database,
// and writing what `radtrack import radacct` makes of it: NASes without a secret, accounts, ports, sessions, the
// mapping of each source row to its session (radacct_imported) and the per-source watermark. The radacct view
// over radtrack's own sessions is defined in the migration.
import type { Knex } from 'knex';
import type { SessionState } from '../../accounting/session.ts';

type Db = Knex | Knex.Transaction;

/** A row of FreeRADIUS 3.2's radacct (schema.sql), addresses as text. */
export interface RadacctRow {
  radacctid: bigint;
  acctsessionid: string;
  acctuniqueid: string;
  username: string | null;
  realm: string | null;
  nasipaddress: string;
  nasportid: string | null;
  nasporttype: string | null;
  acctstarttime: Date | null;
  acctupdatetime: Date | null;
  acctstoptime: Date | null;
  acctinterval: bigint | null;
  acctsessiontime: bigint | null;
  acctauthentic: string | null;
  connectinfo_start: string | null;
  connectinfo_stop: string | null;
  acctinputoctets: bigint | null;
  acctoutputoctets: bigint | null;
  calledstationid: string | null;
  callingstationid: string | null;
  acctterminatecause: string | null;
  servicetype: string | null;
  framedprotocol: string | null;
  framedipaddress: string | null;
  framedipv6address: string | null;
  framedipv6prefix: string | null;
  framedinterfaceid: string | null;
  delegatedipv6prefix: string | null;
  class: string | null;
}

/** The source columns radtrack does not model, kept per imported row and shown by the radacct view. */
export const KEPT_COLUMNS = [
  'realm', 'nasporttype', 'acctinterval', 'acctauthentic', 'connectinfo_start', 'connectinfo_stop', 'servicetype',
  'framedprotocol', 'framedipv6address', 'framedipv6prefix', 'framedinterfaceid', 'delegatedipv6prefix', 'class',
] as const;

/** The columns the import reads; a source without one of them is not a FreeRADIUS 3.2 radacct. */
const REQUIRED_COLUMNS = ['radacctid', 'acctsessionid', 'acctuniqueid', 'username', 'nasipaddress', 'nasportid', 'acctstarttime',
  'acctupdatetime', 'acctstoptime', 'acctsessiontime', 'acctinputoctets', 'acctoutputoctets', 'calledstationid', 'callingstationid',
  'acctterminatecause', 'framedipaddress', ...KEPT_COLUMNS];

/** The required columns the source's radacct lacks (all of them when there is no radacct table). */
export async function missingRadacctColumns(source: Knex): Promise<string[]> {
  const { rows } = await source.raw<{ rows: { column_name: string }[] }>(
    `SELECT column_name FROM information_schema.columns WHERE table_name = 'radacct' AND table_schema = current_schema()`,
  );
  const have = new Set(rows.map((r) => r.column_name));
  return REQUIRED_COLUMNS.filter((c) => !have.has(c));
}

/** The next page of the source, by radacctid (keyset: the primary key's index, never an OFFSET). */
export async function readRadacctPage(source: Knex, afterId: bigint, limit: number): Promise<RadacctRow[]> {
  const { rows } = await source.raw<{ rows: RadacctRow[] }>(
    `SELECT radacctid, acctsessionid, acctuniqueid, username, realm, host(nasipaddress) AS nasipaddress, nasportid, nasporttype,
            acctstarttime, acctupdatetime, acctstoptime, acctinterval, acctsessiontime, acctauthentic, connectinfo_start,
            connectinfo_stop, acctinputoctets, acctoutputoctets, calledstationid, callingstationid, acctterminatecause,
            servicetype, framedprotocol, host(framedipaddress) AS framedipaddress, framedipv6address::text AS framedipv6address,
            framedipv6prefix::text AS framedipv6prefix, framedinterfaceid, delegatedipv6prefix::text AS delegatedipv6prefix, class
       FROM radacct WHERE radacctid > ? ORDER BY radacctid LIMIT ?`,
    [afterId.toString(), limit],
  );
  return rows;
}

export interface ImportProgress {
  last_radacctid: bigint;
  finished: boolean;
}

export async function importProgress(db: Db, source: string): Promise<ImportProgress | null> {
  const row = await db('radacct_import_progress').where({ source }).first<ImportProgress | undefined>('last_radacctid', 'finished');
  return row ?? null;
}

/** Starts a run of `source` after `afterId`: the watermark is set there and the run marked unfinished. */
export async function startImportRun(db: Db, source: string, afterId: bigint): Promise<void> {
  await db.raw(
    `INSERT INTO radacct_import_progress (source, last_radacctid, finished) VALUES (?, ?, false)
     ON CONFLICT (source) DO UPDATE SET last_radacctid = EXCLUDED.last_radacctid, finished = false,
       started_at = CASE WHEN radacct_import_progress.finished THEN now() ELSE radacct_import_progress.started_at END, updated_at = now()`,
    [source, afterId.toString()],
  );
}

/** The watermark, in the page's own transaction: a page is imported and recorded together, or not at all. */
export async function saveImportWatermark(db: Db, source: string, lastId: bigint, finished: boolean): Promise<void> {
  await db('radacct_import_progress').where({ source }).update({ last_radacctid: lastId.toString(), finished, updated_at: db.fn.now() });
}

/** The radacctids of `ids` already imported from `source`. */
export async function importedRadacctIds(db: Db, source: string, ids: bigint[]): Promise<Set<bigint>> {
  const { rows } = await db.raw<{ rows: { radacctid: bigint }[] }>(
    `SELECT radacctid FROM radacct_imported WHERE source = ? AND radacctid = ANY (?::int8[])`,
    [source, ids.map(String)],
  );
  return new Set(rows.map((r) => r.radacctid));
}

/** NAS ids by address, for the addresses registered. */
export async function nasIdsByAddress(db: Db, addresses: string[]): Promise<Map<string, bigint>> {
  const { rows } = await db.raw<{ rows: { id: bigint; address: string }[] }>(
    `SELECT id, host(address) AS address FROM nas WHERE address = ANY (?::inet[])`,
    [addresses],
  );
  return new Map(rows.map((r) => [r.address, r.id]));
}

/** Registers NASes without a secret (the listener ignores them until `nas set --secret-file`); returns their ids. */
export async function registerNasWithoutSecret(db: Db, addresses: string[], name: string): Promise<Map<string, bigint>> {
  if (addresses.length === 0) return new Map();
  const { rows } = await db.raw<{ rows: { id: bigint; address: string }[] }>(
    `INSERT INTO nas (address, name, secret) SELECT a, ?, NULL FROM unnest(?::inet[]) AS a
     ON CONFLICT (address) DO NOTHING RETURNING id, host(address) AS address`,
    [name, addresses],
  );
  return new Map(rows.map((r) => [r.address, r.id]));
}

/**
 * NASes seen in radacct but not registered, listed among the unknown sources (`nas unknown`) with the span of
 * their rows. count stays as it is (it counts datagrams, and an import sends none), so a second run changes nothing.
 */
export async function rememberUnknownNas(db: Db, seen: { address: string; firstSeen: Date; lastSeen: Date }[]): Promise<void> {
  if (seen.length === 0) return;
  await db.raw(
    `INSERT INTO unknown_sources (address, first_seen, last_seen, count)
     SELECT address, first_seen, last_seen, 0 FROM json_to_recordset(?::json) AS r(address inet, first_seen timestamptz, last_seen timestamptz)
     ON CONFLICT (address) DO UPDATE SET first_seen = LEAST(unknown_sources.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(unknown_sources.last_seen, EXCLUDED.last_seen)`,
    [JSON.stringify(seen.map((s) => ({ address: s.address, first_seen: s.firstSeen, last_seen: s.lastSeen })))],
  );
}

/**
 * Accounts by username, created (not provisioned) when new, and locked against deletion until commit, as the
 * ingest batch locks the accounts of its new sessions (docs/accounting.md §7). `created` are the new names.
 */
export async function ensureImportAccounts(db: Db, usernames: string[]): Promise<{ ids: Map<string, bigint>; created: string[] }> {
  const { rows: created } = await db.raw<{ rows: { username: string }[] }>(
    `INSERT INTO accounts (username) SELECT DISTINCT unnest(?::text[]) ON CONFLICT (username) DO NOTHING RETURNING username`,
    [usernames],
  );
  const { rows } = await db.raw<{ rows: { id: bigint; username: string }[] }>(
    `SELECT id, username FROM accounts WHERE username = ANY (?::text[]) FOR KEY SHARE`,
    [usernames],
  );
  return { ids: new Map(rows.map((r) => [r.username, r.id])), created: created.map((r) => r.username) };
}

/** Ports by NAS and key, created on first sight (docs/accounting.md §4); the key is `${nasId}/${portKey}`. */
export async function ensureImportPorts(db: Db, ports: { nasId: bigint; portKey: string }[]): Promise<Map<string, bigint>> {
  if (ports.length === 0) return new Map();
  const json = JSON.stringify(ports.map((p) => ({ nas_id: p.nasId.toString(), port_key: p.portKey })));
  await db.raw(
    `INSERT INTO ports (nas_id, port_key) SELECT DISTINCT nas_id, port_key FROM json_to_recordset(?::json) AS r(nas_id bigint, port_key text)
     ON CONFLICT (nas_id, port_key) DO NOTHING`,
    [json],
  );
  const { rows } = await db.raw<{ rows: { id: bigint; nas_id: bigint; port_key: string }[] }>(
    `SELECT p.id, p.nas_id, p.port_key FROM ports p JOIN json_to_recordset(?::json) AS r(nas_id bigint, port_key text) USING (nas_id, port_key)`,
    [json],
  );
  return new Map(rows.map((r) => [`${r.nas_id}/${r.port_key}`, r.id]));
}

export async function allocateImportSessionIds(db: Db, count: number): Promise<bigint[]> {
  if (count === 0) return [];
  const { rows } = await db.raw<{ rows: { id: bigint }[] }>(`SELECT nextval('sessions_id_seq') AS id FROM generate_series(1, ?::int)`, [count]);
  return rows.map((r) => r.id);
}

/** New sessions, as the ingest batch inserts them (their partitions must exist). */
export async function insertImportedSessions(db: Db, sessions: SessionState[]): Promise<void> {
  if (sessions.length === 0) return;
  const rows = sessions.map((s) => ({
    id: s.id!.toString(), nas_id: s.nasId.toString(), port_id: s.portId?.toString() ?? null, account_id: s.accountId.toString(),
    acct_session_id: s.acctSessionId, login: s.login, logout: s.logout, last_update: s.lastUpdate, session_time: s.sessionTime.toString(),
    input_octets: s.inputOctets.toString(), output_octets: s.outputOctets.toString(), input_packets: s.inputPackets.toString(),
    output_packets: s.outputPackets.toString(), framed_ip: s.framedIp, calling_station_id: s.callingStationId,
    called_station_id: s.calledStationId, terminate_cause: s.terminateCause, close_reason: s.closeReason,
    logout_estimated: s.logoutEstimated, flags: s.flags, interim_count: s.interimCount, exclusive_port: s.exclusivePort,
  }));
  await db.raw(
    `INSERT INTO sessions (id, nas_id, port_id, account_id, acct_session_id, login, logout, last_update, session_time, input_octets,
                           output_octets, input_packets, output_packets, framed_ip, calling_station_id, called_station_id,
                           terminate_cause, close_reason, logout_estimated, flags, interim_count, exclusive_port)
     SELECT * FROM json_to_recordset(?::json) AS r(id bigint, nas_id bigint, port_id bigint, account_id bigint, acct_session_id text,
       login timestamptz, logout timestamptz, last_update timestamptz, session_time bigint, input_octets bigint, output_octets bigint,
       input_packets bigint, output_packets bigint, framed_ip inet, calling_station_id text, called_station_id text,
       terminate_cause text, close_reason text, logout_estimated boolean, flags text[], interim_count integer, exclusive_port boolean)`,
    [JSON.stringify(rows)],
  );
}

/** Which session each imported source row became, with the source columns radtrack does not model. */
export async function recordImportedRows(db: Db, source: string, rows: { row: RadacctRow; sessionId: bigint }[]): Promise<void> {
  if (rows.length === 0) return;
  const json = rows.map(({ row, sessionId }) => ({
    radacctid: row.radacctid.toString(),
    session_id: sessionId.toString(),
    acctuniqueid: row.acctuniqueid,
    ...Object.fromEntries(KEPT_COLUMNS.map((c) => [c, row[c] === null ? null : String(row[c])])),
  }));
  await db.raw(
    `INSERT INTO radacct_imported (source, radacctid, session_id, acctuniqueid, ${KEPT_COLUMNS.join(', ')})
     SELECT ?, radacctid, session_id, acctuniqueid, ${KEPT_COLUMNS.join(', ')}
       FROM json_to_recordset(?::json) AS r(radacctid bigint, session_id bigint, acctuniqueid text, realm text, nasporttype text,
         acctinterval bigint, acctauthentic text, connectinfo_start text, connectinfo_stop text, servicetype text, framedprotocol text,
         framedipv6address inet, framedipv6prefix inet, framedinterfaceid text, delegatedipv6prefix inet, class text)`,
    [source, JSON.stringify(json)],
  );
}
