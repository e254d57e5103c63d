// Each NAS with its heartbeat and packet counters (docs/accounting.md §5): `report nas` and `nas list`.
import type { Knex } from 'knex';
import { isSilent } from '../accounting/heartbeat.ts';
import { nasHeartbeats, type NasHeartbeatRow } from '../db/sql/nas.ts';

/** A NAS as `report nas` shows it: its heartbeat row, and whether it is up. */
export type NasStatusRow = Omit<NasHeartbeatRow, 'id' | 'created_at'> & {
  /** silent: nothing heard for longer than its quiet limit (src/accounting/heartbeat.ts); up otherwise. */
  state: 'up' | 'silent';
};

export async function nasStatus(knex: Knex, now: Date = new Date()): Promise<NasStatusRow[]> {
  return (await nasHeartbeats(knex)).map((n) => ({
    address: n.address,
    name: n.name,
    port_policy: n.port_policy,
    interim_interval: n.interim_interval,
    last_seen: n.last_seen,
    last_restart: n.last_restart,
    open_sessions: n.open_sessions,
    state: isSilent({ lastSeen: n.last_seen, createdAt: n.created_at, interimInterval: n.interim_interval }, now) ? 'silent' : 'up',
    accepted: n.accepted,
    duplicates: n.duplicates,
    malformed: n.malformed,
    bad_authenticator: n.bad_authenticator,
    unsupported_code: n.unsupported_code,
    unprocessable: n.unprocessable,
    clock_skew: n.clock_skew,
    has_secret: n.has_secret,
  }));
}
