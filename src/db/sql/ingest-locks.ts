import type { Knex } from 'knex';

// Ingest buckets: every session packet belongs to one of 64 buckets of its NAS, by its port (NAS-Port-Id or
// NAS-Port) or, without a port, by its Acct-Session-Id. A session's packets and every session on one port
// therefore share a bucket. Within a listener a bucket maps to one lane (lanes.ts), which keeps their order;
// between processes (two listeners on one database, reconcile, purge) a transaction-scoped advisory lock per
// (NAS, bucket) does, so no two writers ever read and write the same sessions at once.

export const INGEST_BUCKETS = 64;

// Advisory lock keys are one 64-bit space per database: ours start with "RT" in the top 16 bits.
const LOCK_NAMESPACE = 0x5254n << 48n;

/** FNV-1a over the key's UTF-16 code units: cheap, stable across processes and versions. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function sessionBucket(portKey: string | null, acctSessionId: string): number {
  return portKey !== null ? fnv1a('p' + portKey) % INGEST_BUCKETS : fnv1a('s' + acctSessionId) % INGEST_BUCKETS;
}

export function ingestLockKey(nasId: bigint, bucket: number): bigint {
  return LOCK_NAMESPACE | (nasId << 6n) | BigInt(bucket);
}

/** Every lock of a NAS, in the order all writers take them (ascending), so none of them can deadlock. */
export function nasLockKeys(nasId: bigint): bigint[] {
  return Array.from({ length: INGEST_BUCKETS }, (_, b) => ingestLockKey(nasId, b));
}

export function sortKeys(keys: Iterable<bigint>): bigint[] {
  return [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Takes every ingest lock of a NAS for the current transaction: the listener (of any process) writes none of its
 * sessions until it commits. For the writers besides ingest (reconcile, purge, nas remove, import).
 */
export async function lockNasIngest(trx: Knex.Transaction, nasId: bigint): Promise<void> {
  await trx.raw('SELECT count(pg_advisory_xact_lock(k)) FROM unnest(?::int8[]) AS k', [nasLockKeys(nasId).map(String)]);
}
