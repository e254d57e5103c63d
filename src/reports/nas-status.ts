// Each NAS with its heartbeat and packet counters (accounting.md §5): `report nas` and `nas list`.
import type { Knex } from 'knex';
import type { PortPolicy } from '../admin/nas.ts';

export interface NasStatusRow {
  address: string;
  name: string | null;
  port_policy: PortPolicy;
  interim_interval: number;
  last_seen: Date | null;
  last_restart: Date | null;
  open_sessions: bigint;
  /** up: heard from within 3 × its interim interval of `now`; silent otherwise, or never heard from. */
  state: 'up' | 'silent';
  accepted: bigint;
  duplicates: bigint;
  malformed: bigint;
  bad_authenticator: bigint;
  unsupported_code: bigint;
  /** Event-Timestamp − arrival of the latest packet that carried one, in seconds. */
  clock_skew: number | null;
}

/** Silence longer than this many interim intervals means the NAS (or the path to it) is down. */
export const SILENT_AFTER_INTERVALS = 3;

export async function nasStatus(knex: Knex, now: Date = new Date()): Promise<NasStatusRow[]> {
  const { rows } = await knex.raw<{ rows: NasStatusRow[] }>(
    `SELECT host(n.address) AS address, n.name, n.port_policy, n.interim_interval, n.last_seen, n.last_restart,
            (SELECT count(*) FROM sessions s WHERE s.nas_id = n.id AND s.logout IS NULL) AS open_sessions,
            CASE WHEN n.last_seen >= ?::timestamptz - make_interval(secs => ? * n.interim_interval)
                 THEN 'up' ELSE 'silent' END AS state,
            n.accepted, n.duplicates,
            n.discard_malformed AS malformed,
            n.discard_bad_authenticator AS bad_authenticator,
            n.discard_unsupported_code AS unsupported_code,
            n.clock_skew_seconds AS clock_skew
       FROM nas n
      ORDER BY n.address`,
    [now, SILENT_AFTER_INTERVALS],
  );
  return rows;
}
