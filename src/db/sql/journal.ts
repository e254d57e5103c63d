// The journal family (docs/accounting.md §8): one row per accepted packet, the datagram kept as it came. It is decoded
// here, when someone reads it, not on the ingest path.
import type { Knex } from 'knex';
import { acctStatusTypeName, journalAttributes, readAccountingAttributes } from '../../protocol/attributes.ts';
import { CODE, parsePacket } from '../../protocol/decode.ts';

export interface JournalEntry {
  arrival: Date;
  nas_id: bigint;
  session_id: bigint | null;
  /** What the packet did, and the flags it earned: "interim counter_regression". */
  action: string;
  code: 'Accounting-Request' | 'Status-Server';
  status_type: string | null;
  acct_session_id: string | null;
  username: string | null;
  /** Every attribute by name (unknown ones raw; src/protocol/journal.ts). */
  attributes: Record<string, unknown>;
}

export interface JournalFilter {
  sessionId?: bigint;
  nasId?: bigint;
  since?: Date;
  until?: Date;
  limit?: number;
}

interface DbJournalRow {
  arrival: Date;
  nas_id: bigint;
  session_id: bigint | null;
  action: string;
  raw: Buffer;
}

export function decodeJournalRow(r: DbJournalRow): JournalEntry {
  const parsed = parsePacket(r.raw);
  const base = { arrival: r.arrival, nas_id: r.nas_id, session_id: r.session_id, action: r.action };
  // Every journaled packet was accepted, so it parses; anything else would be a damaged row, shown as such.
  if (!parsed.ok) return { ...base, code: 'Accounting-Request', status_type: null, acct_session_id: null, username: null, attributes: { undecodable: r.raw.toString('hex') } };
  const attrs = readAccountingAttributes(parsed.packet);
  return {
    ...base,
    code: parsed.packet.code === CODE.STATUS_SERVER ? 'Status-Server' : 'Accounting-Request',
    status_type: attrs.acctStatusType === undefined ? null : acctStatusTypeName(attrs.acctStatusType),
    acct_session_id: attrs.acctSessionId ?? null,
    username: attrs.userName ?? null,
    attributes: journalAttributes(parsed.packet),
  };
}

/** Journal entries in arrival order (a session's packets, a NAS's, or a time range). */
export async function listJournal(db: Knex | Knex.Transaction, f: JournalFilter = {}): Promise<JournalEntry[]> {
  const q = db('journal').select<DbJournalRow[]>('arrival', 'nas_id', 'session_id', 'action', 'raw');
  if (f.sessionId !== undefined) q.where('session_id', f.sessionId.toString());
  if (f.nasId !== undefined) q.where('nas_id', f.nasId.toString());
  if (f.since !== undefined) q.where('arrival', '>=', f.since);
  if (f.until !== undefined) q.where('arrival', '<', f.until);
  q.orderBy('arrival');
  if (f.limit !== undefined) q.limit(f.limit);
  return (await q).map(decodeJournalRow);
}
