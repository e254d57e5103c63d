// NAS (RADIUS client) registry. The running listener polls `updated_at` to pick up changes without a
// restart (accounting.md §1), so every change bumps it. Secrets are written here and never read back.
import type { Knex } from 'knex';
import { lockNasIngest } from '../db/ingest-locks.ts';
import { countSessions, type Referenced } from './references.ts';

export const PORT_POLICIES = ['autoclose', 'flag', 'ignore'] as const;
export type PortPolicy = (typeof PORT_POLICIES)[number];

/** A NAS as shown to people: everything but the secret. */
export interface NasRow {
  address: string;
  name: string | null;
  port_policy: PortPolicy;
  interim_interval: number;
}

export interface NasSettings {
  secret?: string;
  name?: string;
  portPolicy?: PortPolicy;
  interimIntervalSeconds?: number;
}

const PUBLIC_COLUMNS = ['name', 'port_policy', 'interim_interval'] as const;

function returningPublic(knex: Knex) {
  return [knex.raw('host(address) as address'), ...PUBLIC_COLUMNS];
}

function columnsOf(s: NasSettings): Record<string, unknown> {
  const cols: Record<string, unknown> = {};
  if (s.secret !== undefined) cols.secret = s.secret;
  if (s.name !== undefined) cols.name = s.name;
  if (s.portPolicy !== undefined) cols.port_policy = s.portPolicy;
  if (s.interimIntervalSeconds !== undefined) cols.interim_interval = s.interimIntervalSeconds;
  return cols;
}

/** Registers a NAS; null when one with that address exists already. */
export async function addNas(knex: Knex, address: string, settings: NasSettings & { secret: string }): Promise<NasRow | null> {
  const rows = await knex('nas')
    .insert({ address, ...columnsOf(settings) })
    .onConflict('address')
    .ignore()
    .returning(returningPublic(knex));
  return (rows[0] as NasRow | undefined) ?? null;
}

/** Changes a NAS; null when no NAS has that address. */
export async function updateNas(knex: Knex, address: string, changes: NasSettings): Promise<NasRow | null> {
  const rows = await knex('nas')
    .whereRaw('address = ?::inet', [address])
    .update({ ...columnsOf(changes), updated_at: knex.fn.now() })
    .returning(returningPublic(knex));
  return (rows[0] as NasRow | undefined) ?? null;
}

export type RemoveNasResult = { status: 'deleted' | 'not_found' } | Referenced;

/**
 * Removes a NAS and its ports, refused while sessions reference it. It holds the NAS's ingest locks while it
 * looks, so no listener can store a session of the NAS between the count and the delete.
 */
export async function removeNas(knex: Knex, address: string): Promise<RemoveNasResult> {
  return knex.transaction(async (trx) => {
    const nas = await trx('nas').whereRaw('address = ?::inet', [address]).first<{ id: bigint } | undefined>('id');
    if (!nas) return { status: 'not_found' as const };
    await lockNasIngest(trx, nas.id);
    const counts = await countSessions(trx, 'nas_id', nas.id);
    if (counts.sessions > 0n) return { status: 'referenced' as const, ...counts };
    await trx('nas').where('id', nas.id.toString()).delete();
    return { status: 'deleted' as const };
  });
}

export interface UnknownSourceRow {
  address: string;
  first_seen: Date;
  last_seen: Date;
  count: bigint;
}

/** Sources that sent datagrams but are not registered, most recently heard first. */
export async function listUnknownSources(knex: Knex): Promise<UnknownSourceRow[]> {
  return knex('unknown_sources')
    .select(knex.raw('host(address) as address'), 'first_seen', 'last_seen', 'count')
    .orderBy([{ column: 'last_seen', order: 'desc' }, 'address']);
}
