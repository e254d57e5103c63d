// Ids the batch transaction needs before it can place a packet: accounts by username, ports by NAS and key,
// and ids for new sessions. Shared by the lanes of a listener, so most batches need no lookup at all.
import type { IngestConnection } from '../db/sql/ingest.ts';

/** A map that forgets everything past `max` entries: cheap to refill, and memory stays bounded. */
class BoundedMap<V> {
  private map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    if (this.map.size >= this.max) this.map = new Map();
    this.map.set(key, value);
  }
  clear(): void {
    this.map = new Map();
  }
}

const portKeyOf = (nasId: bigint, portKey: string) => `${nasId}|${portKey}`;

/** The account and port ids of one batch, as IdCaches.resolve found them. */
export class BatchIds {
  constructor(
    private readonly accounts: ReadonlyMap<string, bigint>,
    private readonly ports: ReadonlyMap<string, bigint>,
  ) {}

  accountId(username: string): bigint {
    const id = this.accounts.get(username);
    if (id === undefined) throw new Error(`ingest: account "${username}" was not resolved`);
    return id;
  }

  portId(nasId: bigint, portKey: string | null): bigint | null {
    if (portKey === null) return null;
    const id = this.ports.get(portKeyOf(nasId, portKey));
    if (id === undefined) throw new Error(`ingest: port ${portKey} of NAS ${nasId} was not resolved`);
    return id;
  }
}

export class IdCaches {
  private readonly accounts: BoundedMap<bigint>;
  private readonly ports: BoundedMap<bigint>;
  private sessionIds: bigint[] = [];

  constructor(opts: { maxEntries?: number; sessionIdBlock?: number } = {}) {
    this.accounts = new BoundedMap(opts.maxEntries ?? 200_000);
    this.ports = new BoundedMap(opts.maxEntries ?? 200_000);
    this.sessionIdBlock = opts.sessionIdBlock ?? 1000;
  }

  private readonly sessionIdBlock: number;

  /**
   * Resolves (creating where needed) every username and port the batch names, and returns them as the batch's
   * own ids: the shared maps are only a shortcut, and they may forget anything at any moment (another lane can
   * fill them past their bound meanwhile, as a reconnect storm of 100,000 new users does), so a batch never reads
   * its ids back from them. Both lookups are sent at once. A row another lane inserted in the same instant is not
   * in this statement's snapshot (its INSERT waits, then does nothing, and its SELECT cannot see the row yet):
   * asking once more finds it.
   */
  async resolve(conn: IngestConnection, usernames: Iterable<string>, ports: Iterable<{ nasId: bigint; portKey: string }>): Promise<BatchIds> {
    const accounts = new Map<string, bigint>();
    const portIds = new Map<string, bigint>();
    let missingUsers: string[] = [];
    for (const u of new Set(usernames)) {
      const id = this.accounts.get(u);
      if (id === undefined) missingUsers.push(u);
      else accounts.set(u, id);
    }
    let missingPorts: { nasId: bigint; portKey: string }[] = [];
    for (const [key, p] of new Map([...ports].map((p) => [portKeyOf(p.nasId, p.portKey), p]))) {
      const id = this.ports.get(key);
      if (id === undefined) missingPorts.push(p);
      else portIds.set(key, id);
    }
    for (let attempt = 0; (missingUsers.length > 0 || missingPorts.length > 0) && attempt < 3; attempt++) {
      const [found, foundPorts] = await Promise.all([
        missingUsers.length > 0 ? conn.ensureAccounts(missingUsers) : new Map<string, bigint>(),
        missingPorts.length > 0 ? conn.ensurePorts(missingPorts) : [],
      ]);
      for (const [username, id] of found) {
        accounts.set(username, id);
        this.accounts.set(username, id);
      }
      for (const p of foundPorts) {
        portIds.set(portKeyOf(p.nasId, p.portKey), p.id);
        this.ports.set(portKeyOf(p.nasId, p.portKey), p.id);
      }
      missingUsers = missingUsers.filter((u) => !accounts.has(u));
      missingPorts = missingPorts.filter((p) => !portIds.has(portKeyOf(p.nasId, p.portKey)));
    }
    return new BatchIds(accounts, portIds);
  }

  /** An account was deleted under us (its sessions' foreign key said so): ask the database again. */
  forgetAccounts(): void {
    this.accounts.clear();
  }

  /**
   * Fetches the next block of session ids in the background when fewer than a block are left, so a batch
   * seldom waits for them. The query rides along with the batch's first ones.
   */
  topUp(conn: IngestConnection): void {
    if (this.refilling || this.sessionIds.length >= this.sessionIdBlock) return;
    this.refilling = conn
      .allocateSessionIds(this.sessionIdBlock)
      .then((ids) => void this.sessionIds.push(...ids), () => undefined)
      .finally(() => (this.refilling = null));
  }

  private refilling: Promise<void> | null = null;

  async takeSessionIds(conn: IngestConnection, count: number): Promise<bigint[]> {
    while (this.sessionIds.length < count) {
      if (this.refilling) await this.refilling;
      else this.sessionIds.push(...(await conn.allocateSessionIds(Math.max(count - this.sessionIds.length, this.sessionIdBlock))));
    }
    return this.sessionIds.splice(0, count);
  }
}
