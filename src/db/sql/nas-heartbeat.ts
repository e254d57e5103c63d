import type { Knex } from 'knex';

type Db = Knex | Knex.Transaction;

/** What one batch did to each NAS's heartbeat and counters (§5). */
export interface NasHeartbeat {
  nasId: bigint;
  accepted: number;
  lastSeen: Date;
  /** Latest clock skew (seconds), if any packet of the batch carried an Event-Timestamp. */
  clockSkewSeconds: number | null;
  lastRestart: Date | null;
}

/** last_seen and last_restart never move backwards. */
export async function writeNasHeartbeats(db: Db, beats: NasHeartbeat[]): Promise<void> {
  if (beats.length === 0) return;
  const records = beats.map((b) => ({
    nas_id: String(b.nasId),
    accepted: b.accepted,
    last_seen: b.lastSeen.toISOString(),
    clock_skew_seconds: b.clockSkewSeconds,
    last_restart: b.lastRestart?.toISOString() ?? null,
  }));
  await db.raw(
    `UPDATE nas n SET accepted = n.accepted + r.accepted,
            last_seen = GREATEST(n.last_seen, r.last_seen),
            clock_skew_seconds = COALESCE(r.clock_skew_seconds, n.clock_skew_seconds),
            last_restart = GREATEST(n.last_restart, r.last_restart)
     FROM json_to_recordset(?::json) AS r(nas_id bigint, accepted bigint, last_seen timestamptz,
          clock_skew_seconds integer, last_restart timestamptz)
     WHERE n.id = r.nas_id`,
    [JSON.stringify(records)],
  );
}

/** Discards and duplicates are counted in memory and added now and then (they acknowledge nothing). */
export interface NasDiscards {
  nasId: bigint;
  duplicates: number;
  malformed: number;
  badAuthenticator: number;
  unsupportedCode: number;
}

export async function addNasDiscards(db: Db, counts: NasDiscards[]): Promise<void> {
  if (counts.length === 0) return;
  await db.raw(
    `UPDATE nas n SET duplicates = n.duplicates + r.duplicates,
            discard_malformed = n.discard_malformed + r.malformed,
            discard_bad_authenticator = n.discard_bad_authenticator + r.bad_authenticator,
            discard_unsupported_code = n.discard_unsupported_code + r.unsupported_code
     FROM json_to_recordset(?::json) AS r(nas_id bigint, duplicates bigint, malformed bigint,
          bad_authenticator bigint, unsupported_code bigint)
     WHERE n.id = r.nas_id`,
    [
      JSON.stringify(
        counts.map((c) => ({
          nas_id: String(c.nasId),
          duplicates: c.duplicates,
          malformed: c.malformed,
          bad_authenticator: c.badAuthenticator,
          unsupported_code: c.unsupportedCode,
        })),
      ),
    ],
  );
}

/** §1: sources that are not registered NASes, so an operator can see them. */
export async function addUnknownSources(db: Db, sources: { address: string; firstSeen: Date; lastSeen: Date; count: number }[]): Promise<void> {
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
}
