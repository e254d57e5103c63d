// The NAS clients the listener trusts, reloaded from the database every few seconds so that `radtrack nas
// add|set|remove` takes effect in a running listener without a restart (§1).
import type { Knex } from 'knex';
import type { PortPolicy } from '../accounting/session-machine.ts';
import type { Logger } from '../log.ts';

export interface NasClient {
  id: bigint;
  address: string;
  name: string | null;
  portPolicy: PortPolicy;
  interimInterval: number;
  /** Non-enumerable: never serialized or printed by accident. */
  readonly secret: Buffer;
}

export interface NasRegistry {
  get(address: string): NasClient | undefined;
  reload(): Promise<void>;
  stop(): void;
}

/** '::ffff:192.0.2.1' (an IPv4 peer on a dual-stack socket) is 192.0.2.1. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase();
}

export async function makeNasRegistry(knex: Knex, log: Logger, reloadMs = 2000): Promise<NasRegistry> {
  let clients = new Map<string, NasClient>();
  let failing = false;

  async function reload(): Promise<void> {
    const rows: { id: bigint; address: string; name: string | null; port_policy: PortPolicy; interim_interval: number; secret: string }[] =
      await knex('nas').select('id', knex.raw('host(address) AS address'), 'name', 'port_policy', 'interim_interval', 'secret');
    const next = new Map<string, NasClient>();
    for (const r of rows) {
      const client = { id: r.id, address: r.address, name: r.name, portPolicy: r.port_policy, interimInterval: r.interim_interval } as NasClient;
      Object.defineProperty(client, 'secret', { value: Buffer.from(r.secret, 'utf8'), enumerable: false });
      next.set(normalizeAddress(r.address), client);
    }
    if (next.size !== clients.size) log.info(`nas: ${next.size} NAS clients registered`);
    clients = next;
  }

  await reload();
  const timer = setInterval(() => {
    reload().then(
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
    get: (address) => clients.get(normalizeAddress(address)),
    reload,
    stop: () => clearInterval(timer),
  };
}
