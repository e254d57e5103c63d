// `radtrack nas add|set|remove`: registering the NAS clients. A running listener sees each change within a few
// seconds without a restart (src/server/nas-registry.ts polls nasRegistryVersion). The SQL is the nas family's,
// src/db/sql/nas.ts; secrets are written there and never read back for output.
import type { Knex } from 'knex';
import type { PortPolicy } from '../accounting/port-policy.ts';
import { lockNasIngest } from '../db/sql/ingest-locks.ts';
import { deleteNas, insertNas, nasIdByAddress, updateNasByAddress, type NasColumns, type NasRow } from '../db/sql/nas.ts';
import { countSessions, type Referenced } from '../db/sql/sessions.ts';

export interface NasSettings {
  secret?: string;
  name?: string;
  portPolicy?: PortPolicy;
  interimIntervalSeconds?: number;
}

function columnsOf(s: NasSettings): NasColumns {
  const cols: NasColumns = {};
  if (s.secret !== undefined) cols.secret = s.secret;
  if (s.name !== undefined) cols.name = s.name;
  if (s.portPolicy !== undefined) cols.port_policy = s.portPolicy;
  if (s.interimIntervalSeconds !== undefined) cols.interim_interval = s.interimIntervalSeconds;
  return cols;
}

/** Registers a NAS; null when one with that address exists already. */
export function addNas(knex: Knex, address: string, settings: NasSettings & { secret: string }): Promise<NasRow | null> {
  return insertNas(knex, address, { ...columnsOf(settings), secret: settings.secret });
}

/** Changes a NAS; null when no NAS has that address. */
export function updateNas(knex: Knex, address: string, changes: NasSettings): Promise<NasRow | null> {
  return updateNasByAddress(knex, address, columnsOf(changes));
}

export type RemoveNasResult = { status: 'deleted' | 'not_found' } | Referenced;

/**
 * Removes a NAS and its ports, refused while sessions reference it. It holds the NAS's ingest locks while it
 * looks, so no listener can store a session of the NAS between the count and the delete.
 */
export async function removeNas(knex: Knex, address: string): Promise<RemoveNasResult> {
  return knex.transaction(async (trx) => {
    const id = await nasIdByAddress(trx, address);
    if (id === null) return { status: 'not_found' as const };
    await lockNasIngest(trx, id);
    const counts = await countSessions(trx, 'nas_id', id);
    if (counts.sessions > 0n) return { status: 'referenced' as const, ...counts };
    await deleteNas(trx, id);
    return { status: 'deleted' as const };
  });
}
