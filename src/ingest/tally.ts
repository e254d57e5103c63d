// What the listener counts per NAS and per unknown source, in memory, and hands to the database every second
// (db/sql/nas.ts). Counters and heartbeats acknowledge nothing, so a second of them lost in a crash costs no
// accounting data, and keeping them off the batch transactions keeps the batches from queueing on NAS rows.
import type { DecodeFailure } from '../protocol/decode.ts';

/** Why a datagram was dropped without an answer (docs/accounting.md §1): the one list of discard reasons. */
export const DISCARD_REASONS = ['malformed', 'bad_authenticator', 'unsupported_code', 'unprocessable'] as const;
export type DiscardReason = (typeof DISCARD_REASONS)[number];
// Every reason the decoder reports is a discard reason.
const _decodeFailuresAreReasons: readonly DiscardReason[] = [] as DecodeFailure[];
void _decodeFailuresAreReasons;

/** What became of a datagram, for the packet counters (and metrics): taken and stored, or why not. */
export type PacketOutcome = 'accepted' | 'duplicate' | 'unknown_nas' | DiscardReason | 'queue_full' | 'not_stored';

export interface NasTally {
  nasId: bigint;
  /** Packets whose effects were committed (and answered). */
  accepted: number;
  /** Copies answered from the duplicate cache. */
  duplicates: number;
  discards: Record<DiscardReason, number>;
  /** Latest arrival of an authentic packet. */
  lastSeen: Date | null;
  /** Event-Timestamp − arrival of the latest packet that carried one, in seconds. */
  clockSkewSeconds: number | null;
}

export interface UnknownSourceTally {
  address: string;
  firstSeen: Date;
  lastSeen: Date;
  count: number;
}

/**
 * Distinct unknown sources remembered between two flushes. Spoofed sources are free to make, so the rest of a
 * flood is only counted (`unknownOverflow`); the table is capped as well (db/sql/nas.ts).
 */
export const MAX_UNKNOWN_SOURCES_PER_FLUSH = 1000;

export interface TallySnapshot {
  nas: NasTally[];
  unknown: UnknownSourceTally[];
  unknownOverflow: number;
}

const zeroDiscards = (): Record<DiscardReason, number> => ({ malformed: 0, bad_authenticator: 0, unsupported_code: 0, unprocessable: 0 });

export class IngestTally {
  private nas = new Map<bigint, NasTally>();
  private unknown = new Map<string, UnknownSourceTally>();
  private unknownOverflow = 0;
  /** Since start, for the shutdown log line, metrics and tests. */
  readonly totals = { accepted: 0, duplicates: 0, unknown_nas: 0, ...zeroDiscards() };
  /** Committed batches since start: how many, their packets, their transactions' time. */
  readonly batches = { count: 0, packets: 0, ms: 0 };
  /** Datagrams since start by "code|status type|outcome" (code and status type "unknown" before decoding). */
  readonly packets = new Map<string, number>();
  /** Called for every committed batch (metrics histograms). */
  readonly batchListeners: ((size: number, ms: number) => void)[] = [];

  batch(size: number, ms: number): void {
    this.batches.count += 1;
    this.batches.packets += size;
    this.batches.ms += ms;
    for (const listener of this.batchListeners) listener(size, ms);
  }

  packet(code: string, statusType: string, outcome: PacketOutcome): void {
    const key = `${code}|${statusType}|${outcome}`;
    this.packets.set(key, (this.packets.get(key) ?? 0) + 1);
  }

  private of(nasId: bigint): NasTally {
    let t = this.nas.get(nasId);
    if (!t) this.nas.set(nasId, (t = { nasId, accepted: 0, duplicates: 0, discards: zeroDiscards(), lastSeen: null, clockSkewSeconds: null }));
    return t;
  }

  discard(nasId: bigint, reason: DiscardReason): void {
    this.of(nasId).discards[reason] += 1;
    this.totals[reason] += 1;
  }

  duplicate(nasId: bigint): void {
    this.of(nasId).duplicates += 1;
    this.totals.duplicates += 1;
  }

  accepted(nasId: bigint): void {
    this.of(nasId).accepted += 1;
    this.totals.accepted += 1;
  }

  /** An authentic packet arrived: the NAS is alive (§5), whatever becomes of the packet. */
  heard(nasId: bigint, at: Date, clockSkewSeconds: number | null): void {
    const t = this.of(nasId);
    if (t.lastSeen === null || at > t.lastSeen) t.lastSeen = at;
    if (clockSkewSeconds !== null) t.clockSkewSeconds = clockSkewSeconds;
  }

  unknownSource(address: string, at: Date): void {
    this.totals.unknown_nas += 1;
    const u = this.unknown.get(address);
    if (u) {
      u.count += 1;
      u.lastSeen = at;
    } else if (this.unknown.size < MAX_UNKNOWN_SOURCES_PER_FLUSH) {
      this.unknown.set(address, { address, firstSeen: at, lastSeen: at, count: 1 });
    } else this.unknownOverflow += 1;
  }

  /** Takes what was counted since the last flush; `restore` puts it back if the flush failed. */
  take(): TallySnapshot | null {
    if (this.nas.size === 0 && this.unknown.size === 0 && this.unknownOverflow === 0) return null;
    const snapshot = { nas: [...this.nas.values()], unknown: [...this.unknown.values()], unknownOverflow: this.unknownOverflow };
    this.nas = new Map();
    this.unknown = new Map();
    this.unknownOverflow = 0;
    return snapshot;
  }

  restore(s: TallySnapshot): void {
    for (const old of s.nas) {
      const t = this.of(old.nasId);
      t.accepted += old.accepted;
      t.duplicates += old.duplicates;
      for (const r of DISCARD_REASONS) t.discards[r] += old.discards[r];
      if (old.lastSeen && (t.lastSeen === null || old.lastSeen > t.lastSeen)) t.lastSeen = old.lastSeen;
      t.clockSkewSeconds ??= old.clockSkewSeconds;
    }
    // Unknown sources are only information: after a failed flush keep what fits, count the rest.
    for (const u of s.unknown) {
      const cur = this.unknown.get(u.address);
      if (cur) {
        cur.count += u.count;
        cur.firstSeen = u.firstSeen;
      } else if (this.unknown.size < MAX_UNKNOWN_SOURCES_PER_FLUSH) this.unknown.set(u.address, u);
      else this.unknownOverflow += u.count;
    }
    this.unknownOverflow += s.unknownOverflow;
  }
}
