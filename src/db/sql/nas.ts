// The nas table family: registration (add, change, remove), the registry the listener reads, the tallies it
// writes back every second, unknown sources, and each NAS's heartbeat and counters as reports and reconcile read
// them. The quiet rule over those heartbeats is src/accounting/heartbeat.ts.
import type { Knex } from 'knex';
import type { PortPolicy } from '../../accounting/port-policy.ts';
import type { TallySnapshot } from '../../ingest/tally.ts';

type Db = Knex | Knex.Transaction;

export interface DbNasClient {
  id: bigint;
  address: string;
  name: string | null;
  port_policy: PortPolicy;
  interim_interval: number;
  max_clock_offset: number | null;
  secret: string;
}

/** The NASes the listener trusts: those with a secret (one registered by an import has none until `nas set`). */
export async function listNasClients(db: Db): Promise<DbNasClient[]> {
  const { rows } = await db.raw<{ rows: DbNasClient[] }>(
    'SELECT id, host(address) AS address, name, port_policy, interim_interval, max_clock_offset, secret FROM nas WHERE secret IS NOT NULL',
  );
  return rows;
}

/** Changes whenever a NAS is added, changed (every change bumps updated_at) or removed. */
export async function nasRegistryVersion(db: Db): Promise<string> {
  const { rows } = await db.raw<{ rows: { version: string }[] }>(
    `SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') AS version FROM nas`,
  );
  return rows[0]!.version;
}

/** Most unknown sources kept: a flood of spoofed addresses must not grow the table without end. */
export const MAX_UNKNOWN_SOURCES = 10_000;

/** Adds one flush of counters and heartbeats to the NAS rows; last_seen never moves backwards (§5). */
export async function addNasTallies(db: Db, tallies: TallySnapshot['nas']): Promise<void> {
  if (tallies.length === 0) return;
  const records = tallies.map((t) => ({
    nas_id: String(t.nasId),
    accepted: t.accepted,
    duplicates: t.duplicates,
    malformed: t.discards.malformed,
    bad_authenticator: t.discards.bad_authenticator,
    unsupported_code: t.discards.unsupported_code,
    unprocessable: t.discards.unprocessable,
    last_seen: t.lastSeen?.toISOString() ?? null,
    clock_skew_seconds: t.clockSkewSeconds,
  }));
  await db.raw(
    `UPDATE nas n SET accepted = n.accepted + r.accepted,
            duplicates = n.duplicates + r.duplicates,
            discard_malformed = n.discard_malformed + r.malformed,
            discard_bad_authenticator = n.discard_bad_authenticator + r.bad_authenticator,
            discard_unsupported_code = n.discard_unsupported_code + r.unsupported_code,
            discard_unprocessable = n.discard_unprocessable + r.unprocessable,
            last_seen = GREATEST(n.last_seen, r.last_seen),
            clock_skew_seconds = COALESCE(r.clock_skew_seconds, n.clock_skew_seconds)
     FROM json_to_recordset(?::json) AS r(nas_id bigint, accepted bigint, duplicates bigint, malformed bigint,
          bad_authenticator bigint, unsupported_code bigint, unprocessable bigint, last_seen timestamptz,
          clock_skew_seconds bigint)
     WHERE n.id = r.nas_id`,
    [JSON.stringify(records)],
  );
}

/**
 * §1: sources that are not registered NASes, so an operator can see them; capped, the least recently heard go
 * first. Two statements: a DELETE in the INSERT's own statement would not see the rows it adds (one snapshot).
 */
export async function addUnknownSources(db: Db, sources: TallySnapshot['unknown']): Promise<void> {
  if (sources.length === 0) return;
  await db.raw(
    `INSERT INTO unknown_sources (address, first_seen, last_seen, count)
     SELECT address, first_seen, last_seen, count
       FROM json_to_recordset(?::json) AS r(address inet, first_seen timestamptz, last_seen timestamptz, count bigint)
     ON CONFLICT (address) DO UPDATE SET
       first_seen = LEAST(unknown_sources.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(unknown_sources.last_seen, EXCLUDED.last_seen),
       count = unknown_sources.count + EXCLUDED.count`,
    [JSON.stringify(sources.map((s) => ({ address: s.address, first_seen: s.firstSeen, last_seen: s.lastSeen, count: s.count })))],
  );
  await db.raw(
    `DELETE FROM unknown_sources WHERE address IN (
       SELECT address FROM unknown_sources ORDER BY last_seen DESC, address OFFSET ?)`,
    [MAX_UNKNOWN_SOURCES],
  );
}

export interface NasHeartbeatRow {
  id: bigint;
  address: string;
  name: string | null;
  port_policy: PortPolicy;
  interim_interval: number;
  created_at: Date;
  last_seen: Date | null;
  last_restart: Date | null;
  open_sessions: bigint;
  accepted: bigint;
  duplicates: bigint;
  malformed: bigint;
  bad_authenticator: bigint;
  unsupported_code: bigint;
  unprocessable: bigint;
  /** Event-Timestamp − arrival of the latest packet that carried one, in seconds. */
  clock_skew: bigint | null;
  /** false for a NAS registered by an import without a secret: the listener ignores it until `nas set --secret-file`. */
  has_secret: boolean;
}

/** Every NAS with its heartbeat (§5), packet counters and open sessions, by address. */
export async function nasHeartbeats(db: Db): Promise<NasHeartbeatRow[]> {
  const { rows } = await db.raw<{ rows: NasHeartbeatRow[] }>(
    `SELECT n.id, host(n.address) AS address, n.name, n.port_policy, n.interim_interval, n.created_at, n.last_seen,
            n.last_restart, coalesce(o.open_sessions, 0) AS open_sessions, n.accepted, n.duplicates,
            n.discard_malformed AS malformed, n.discard_bad_authenticator AS bad_authenticator,
            n.discard_unsupported_code AS unsupported_code, n.discard_unprocessable AS unprocessable,
            n.clock_skew_seconds AS clock_skew, n.secret IS NOT NULL AS has_secret
       FROM nas n
       LEFT JOIN (SELECT nas_id, count(*) AS open_sessions FROM sessions_open GROUP BY nas_id) o ON o.nas_id = n.id
      ORDER BY n.address`,
  );
  return rows;
}

/** A NAS as shown to people: everything but the secret. */
export interface NasRow {
  address: string;
  name: string | null;
  port_policy: PortPolicy;
  interim_interval: number;
}

/** The columns `nas add|set` may write; a secret is written here and never read back but by the listener. */
export interface NasColumns {
  secret?: string;
  name?: string;
  port_policy?: PortPolicy;
  interim_interval?: number;
}

const PUBLIC_NAS_COLUMNS = 'host(address) AS address, name, port_policy, interim_interval';

/** Registers a NAS; null when one with that address exists already. */
export async function insertNas(db: Db, address: string, columns: NasColumns & { secret: string }): Promise<NasRow | null> {
  const rows = await db('nas')
    .insert({ address, ...columns })
    .onConflict('address')
    .ignore()
    .returning(db.raw(PUBLIC_NAS_COLUMNS));
  return (rows[0] as NasRow | undefined) ?? null;
}

/** Changes a NAS and bumps updated_at (nasRegistryVersion); null when no NAS has that address. */
export async function updateNasByAddress(db: Db, address: string, columns: NasColumns): Promise<NasRow | null> {
  const rows = await db('nas')
    .whereRaw('address = ?::inet', [address])
    .update({ ...columns, updated_at: db.fn.now() })
    .returning(db.raw(PUBLIC_NAS_COLUMNS));
  return (rows[0] as NasRow | undefined) ?? null;
}

export async function nasIdByAddress(db: Db, address: string): Promise<bigint | null> {
  const row = await db('nas').whereRaw('address = ?::inet', [address]).first<{ id: bigint } | undefined>('id');
  return row?.id ?? null;
}

/** Deletes a NAS and, by cascade, its ports; the caller has made sure no session references it. */
export async function deleteNas(db: Db, id: bigint): Promise<void> {
  await db('nas').where('id', id.toString()).delete();
}

export interface UnknownSourceRow {
  address: string;
  first_seen: Date;
  last_seen: Date;
  count: bigint;
}

/** Sources that sent datagrams but are not registered, most recently heard first. */
export async function listUnknownSources(db: Db): Promise<UnknownSourceRow[]> {
  return db('unknown_sources')
    .select(db.raw('host(address) as address'), 'first_seen', 'last_seen', 'count')
    .orderBy([{ column: 'last_seen', order: 'desc' }, 'address']);
}
