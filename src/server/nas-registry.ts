// The NAS clients the listener trusts. A cheap version query every few seconds tells whether `radtrack nas
// add|set|remove` changed anything; only then are the clients read again, so a change takes effect in a
// running listener without a restart (§1).
import type { Knex } from 'knex';
import type { ClockLimit } from '../accounting/plausibility.ts';
import type { PortPolicy } from '../accounting/port-policy.ts';
import { listNasClients, nasRegistryVersion } from '../db/sql/nas.ts';
import type { Logger } from '../log.ts';

export interface NasClient {
  id: bigint;
  address: string;
  name: string | null;
  portPolicy: PortPolicy;
  interimInterval: number;
  clockLimit: ClockLimit;
  /** Non-enumerable: never serialized or printed by accident. */
  readonly secret: Buffer;
}

export interface NasRegistry {
  get(address: string): NasClient | undefined;
  /** Reads the clients again now, whatever the version says. */
  reload(): Promise<void>;
  stop(): void;
}

/**
 * The form addresses are compared in: '::ffff:192.0.2.1' (an IPv4 peer on a dual-stack socket) is 192.0.2.1,
 * IPv6 is lowercase, and a zone id ('fe80::1%eth0') is dropped: inet has no zones, and a NAS is one host.
 */
export function normalizeAddress(address: string): string {
  const bare = address.includes('%') ? address.slice(0, address.indexOf('%')) : address;
  return bare.startsWith('::ffff:') && bare.includes('.') ? bare.slice(7) : bare.toLowerCase();
}

export async function makeNasRegistry(knex: Knex, log: Logger, reloadMs = 2000): Promise<NasRegistry> {
  let clients = new Map<string, NasClient>();
  let version = '';
  let failing = false;

  async function read(): Promise<void> {
    const next = new Map<string, NasClient>();
    for (const r of await listNasClients(knex)) {
      const client = {
        id: r.id,
        address: r.address,
        name: r.name,
        portPolicy: r.port_policy,
        interimInterval: r.interim_interval,
        clockLimit: r.max_clock_offset,
      } as NasClient;
      Object.defineProperty(client, 'secret', { value: Buffer.from(r.secret, 'utf8'), enumerable: false });
      next.set(normalizeAddress(r.address), client);
    }
    if (next.size !== clients.size) log.info(`nas: ${next.size} NAS clients registered`);
    clients = next;
  }

  async function poll(force: boolean): Promise<void> {
    const now = await nasRegistryVersion(knex);
    if (!force && now === version) return;
    await read();
    version = now;
  }

  await poll(true);
  const timer = setInterval(() => {
    poll(false).then(
      () => (failing = false),
      (err: Error) => {
        // Keep serving with the last known clients while the database is away.
        if (!failing) log.warn(`nas: cannot reload NAS clients (${err.message.split('\n')[0]}); keeping the last known`);
        failing = true;
      },
    );
  }, reloadMs);
  timer.unref();
  return {
    get: (address) => clients.get(address),
    reload: () => poll(true),
    stop: () => clearInterval(timer),
  };
}
