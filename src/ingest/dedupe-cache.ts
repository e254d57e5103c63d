// §2: a datagram identical to one answered in the last 30 s (same source address and port, Identifier and
// Request Authenticator) gets the same response again without being processed again; a copy that arrives
// while the original is in flight is answered when the original commits. A packet the database refused
// (UnstorableError) is remembered too, so its copies are dropped instead of failing their batches again.
//
// Bounded: past `maxEntries` the oldest answered entries go first (a NAS resends for seconds, not minutes),
// so 10^5 distinct packets in 30 s cost a few tens of MB at most; entries still in flight are bounded by
// the batcher's queue.

export const DEDUPE_TTL_MS = 30_000;
export const REFUSED_TTL_MS = 10 * 60_000;
export const DEDUPE_MAX_ENTRIES = 200_000;
const REFUSED_MAX_ENTRIES = 10_000;

export type DedupeHit = { kind: 'done'; response: Buffer } | { kind: 'pending' } | { kind: 'refused' };

interface Entry {
  /** null while in flight. */
  response: Buffer | null;
  expires: number;
  waiters: ((response: Buffer) => void)[];
}

export class DedupeCache {
  private readonly entries = new Map<string, Entry>();
  /** Keys of packets the database refused, with when they are forgotten (kept apart: a longer life). */
  private readonly refused = new Map<string, number>();

  constructor(
    private readonly ttlMs = DEDUPE_TTL_MS,
    private readonly maxEntries = DEDUPE_MAX_ENTRIES,
  ) {}

  /** The cache key: source address and port, Identifier, Request Authenticator (16 bytes as latin1). */
  static key(address: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${address}|${port}|${identifier}|${authenticator.toString('latin1')}`;
  }

  /** A hit, or null after registering the datagram as in flight. */
  check(key: string, now: number, onResponse: (response: Buffer) => void): DedupeHit | null {
    const refusedUntil = this.refused.get(key);
    if (refusedUntil !== undefined && refusedUntil > now) return { kind: 'refused' };
    const entry = this.entries.get(key);
    if (entry && (entry.response === null || entry.expires > now)) {
      if (entry.response) return { kind: 'done', response: entry.response };
      entry.waiters.push(onResponse);
      return { kind: 'pending' };
    }
    this.entries.delete(key);
    this.entries.set(key, { response: null, expires: Infinity, waiters: [] });
    this.evictOverflow();
    return null;
  }

  /** The original committed: remember its response and answer the copies that waited. */
  complete(key: string, response: Buffer, now: number): void {
    this.settle(key, response, now + this.ttlMs)?.forEach((w) => w(response));
  }

  /** The database refused the packet itself: drop its copies for a while. */
  refuse(key: string, now: number): void {
    this.entries.delete(key);
    this.refused.delete(key);
    this.refused.set(key, now + REFUSED_TTL_MS);
    for (const [k] of this.refused) {
      if (this.refused.size <= REFUSED_MAX_ENTRIES) break;
      this.refused.delete(k);
    }
  }

  /** The original was not stored (database away): forget it, so the NAS's retransmission is processed afresh. */
  fail(key: string): void {
    this.entries.delete(key);
  }

  sweep(now: number): void {
    for (const [key, until] of this.refused) {
      if (until > now) break;
      this.refused.delete(key);
    }
    for (const [key, entry] of this.entries) {
      if (entry.response === null) continue;
      if (entry.expires > now) break;
      this.entries.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private settle(key: string, response: Buffer, expires: number): Entry['waiters'] | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key); // re-insert so Map order stays expiry order
    this.entries.set(key, { response, expires, waiters: [] });
    return entry.waiters;
  }

  private evictOverflow(): void {
    if (this.entries.size <= this.maxEntries) return;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      if (entry.response !== null) this.entries.delete(key);
    }
  }
}
