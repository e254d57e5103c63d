// §2: a datagram identical to one answered in the last 30 s (same source address and port, Identifier and
// Request Authenticator) gets the same response again without being processed again; a copy that arrives
// while the original is in flight is answered when the original commits.

export const DEDUPE_TTL_MS = 30_000;

export type DedupeHit = { kind: 'done'; response: Buffer } | { kind: 'pending' };

interface Entry {
  response: Buffer | null;
  expires: number;
  waiters: ((response: Buffer) => void)[];
}

export class DedupeCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs = DEDUPE_TTL_MS) {}

  static key(address: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${address}|${port}|${identifier}|${authenticator.toString('hex')}`;
  }

  /** A hit, or null after registering the datagram as in flight. */
  check(key: string, now: number, onResponse: (response: Buffer) => void): DedupeHit | null {
    const entry = this.entries.get(key);
    if (entry && (entry.response === null || entry.expires > now)) {
      if (entry.response) return { kind: 'done', response: entry.response };
      entry.waiters.push(onResponse);
      return { kind: 'pending' };
    }
    this.entries.delete(key);
    this.entries.set(key, { response: null, expires: Infinity, waiters: [] });
    return null;
  }

  /** The original committed: remember its response and answer the copies that waited. */
  complete(key: string, response: Buffer, now: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key); // re-insert so Map order stays expiry order
    this.entries.set(key, { response, expires: now + this.ttlMs, waiters: [] });
    for (const w of entry.waiters) w(response);
  }

  /** The original was not stored: forget it, so the NAS's retransmission is processed afresh. */
  fail(key: string): void {
    this.entries.delete(key);
  }

  sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.response === null) continue;
      if (entry.expires > now) break;
      this.entries.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
