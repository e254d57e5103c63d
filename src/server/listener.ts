// The accounting listener: a UDP socket feeding the ingest pipeline (src/ingest/pipeline.ts), one database
// connection per lane for its batches, and the housekeeping around them: the NAS registry, tallies written
// every second, the dedupe cache swept, monthly partitions made ahead of time.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import type { ListenerConfig } from '../config/config.ts';
import { ConnectError, isDataError } from '../db/errors.ts';
import type { PgConnection } from '../db/knex.ts';
import { IngestConnection } from '../db/sql/ingest.ts';
import { addNasTallies, addUnknownSources } from '../db/sql/nas.ts';
import { ensurePartitions } from '../db/sql/partitions.ts';
import { commitBatch } from '../ingest/commit-batch.ts';
import { IdCaches } from '../ingest/id-caches.ts';
import { makeIngest, type Ingest } from '../ingest/pipeline.ts';
import type { IngestTally } from '../ingest/tally.ts';
import type { Logger } from '../log.ts';
import { makeNasRegistry, normalizeAddress } from './nas-registry.ts';

export interface ListenerOptions extends ListenerConfig {
  knex: Knex;
  /** Where the lanes connect (the same database as knex). */
  connection: PgConnection;
  log: Logger;
}

export interface Listener {
  address(): AddressInfo;
  readonly tally: IngestTally;
  readonly ingest: Ingest;
  /** Re-reads the NAS clients now (they are also re-read whenever they change). */
  reloadNas(): Promise<void>;
  /** Writes the in-memory counters and heartbeats now. */
  flushTally(): Promise<void>;
  /** Stops reading, commits and answers what was accepted, then closes. */
  stop(): Promise<void>;
}

const MONTH_MS = 31 * 86_400_000;
const PARTITION_CHECK_MS = 3_600_000;

/**
 * One connection per lane, opened when first needed and dropped when the database went away, so the next
 * batch after an outage reconnects by itself.
 */
class LaneConnections {
  private readonly conns: (Promise<IngestConnection> | null)[];
  constructor(private readonly connection: PgConnection, lanes: number) {
    this.conns = new Array(lanes).fill(null);
  }

  async use<T>(lane: number, fn: (conn: IngestConnection) => Promise<T>): Promise<T> {
    const pending = (this.conns[lane] ??= IngestConnection.open(this.connection).catch((err: unknown) => {
      throw new ConnectError(err);
    }));
    let conn: IngestConnection;
    try {
      conn = await pending;
    } catch (err) {
      this.conns[lane] = null;
      throw err;
    }
    if (!conn.usable) {
      this.conns[lane] = null;
      return this.use(lane, fn);
    }
    try {
      return await fn(conn);
    } catch (err) {
      // After anything but a refusal of the data, start over with a fresh connection.
      if (!isDataError(err)) {
        this.conns[lane] = null;
        void conn.close().catch(() => undefined);
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    const all = this.conns.filter((c): c is Promise<IngestConnection> => c !== null);
    this.conns.fill(null);
    await Promise.all(all.map((c) => c.then((conn) => conn.close(), () => undefined).catch(() => undefined)));
  }
}

export async function startListener(opts: ListenerOptions): Promise<Listener> {
  const { knex, log } = opts;
  const registry = await makeNasRegistry(knex, log, opts.nasReloadMs);
  const lanes = new LaneConnections(opts.connection, opts.lanes);
  const ids = new IdCaches();
  const socket = dgram.createSocket({ type: opts.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 << 20 });
  let sending = 0;
  const ingest = makeIngest({
    nasLookup: (address) => registry.get(address),
    clock: () => new Date(),
    commit: (items, lane) => lanes.use(lane, (conn) => commitBatch(conn, ids, items)),
    send(response, to) {
      sending += 1;
      socket.send(response, to.port, to.address, (err) => {
        sending -= 1;
        if (err) log.warn(`udp: cannot answer ${to.address}:${to.port}: ${err.message}`);
      });
    },
    log,
    lanes: opts.lanes,
    maxBatch: opts.batchMaxSize,
    maxPending: opts.maxPending,
  });

  await ensureNextPartitions(knex, log);
  socket.on('message', (buf, rinfo) => ingest.handleDatagram(buf, { address: normalizeAddress(rinfo.address), port: rinfo.port }));
  socket.on('error', (err) => log.error(`udp: socket error: ${err.message}`));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: opts.host, port: opts.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    registry.stop();
    await lanes.close();
    throw err;
  }

  let flushing: Promise<void> | null = null;
  const flushTally = () => (flushing ??= writeTally(knex, ingest.tally, log).finally(() => (flushing = null)));
  const housekeeping = setInterval(() => {
    ingest.dedupe.sweep(Date.now());
    void flushTally();
  }, opts.tallyFlushMs);
  housekeeping.unref();
  const partitions = setInterval(() => void ensureNextPartitions(knex, log), PARTITION_CHECK_MS);
  partitions.unref();

  let stopping: Promise<void> | null = null;
  async function stop(): Promise<void> {
    socket.removeAllListeners('message');
    await ingest.drain();
    // Responses are sent asynchronously; the socket closes only when they have left.
    while (sending > 0) await new Promise((r) => setTimeout(r, 1));
    clearInterval(housekeeping);
    clearInterval(partitions);
    registry.stop();
    await flushTally();
    await lanes.close();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  return {
    address: () => socket.address(),
    tally: ingest.tally,
    ingest,
    reloadNas: () => registry.reload(),
    flushTally,
    stop: () => (stopping ??= stop()),
  };
}

/** Monthly partitions from last month to two months ahead: event times are never more than 7 days off. */
async function ensureNextPartitions(knex: Knex, log: Logger): Promise<void> {
  try {
    await ensurePartitions(knex, new Date(Date.now() - MONTH_MS), new Date(Date.now() + 2 * MONTH_MS));
  } catch (err) {
    log.warn(`partitions: cannot make next months' partitions (${(err as Error).message.split('\n')[0]}); retrying in an hour, and on demand`);
  }
}

async function writeTally(knex: Knex, tally: IngestTally, log: Logger): Promise<void> {
  const snapshot = tally.take();
  if (!snapshot) return;
  // Two transactions: a bad unknown-source row must never keep the NAS counters from being saved.
  try {
    await addNasTallies(knex, snapshot.nas);
    snapshot.nas = [];
    await addUnknownSources(knex, snapshot.unknown);
    snapshot.unknown = [];
    if (snapshot.unknownOverflow > 0) {
      log.warn(`udp: ${snapshot.unknownOverflow} more datagrams from unknown sources than are listed one by one; "radtrack nas unknown" shows the others`);
    }
    snapshot.unknownOverflow = 0;
  } catch (err) {
    tally.restore(snapshot);
    log.debug(`counters: flush failed (${(err as Error).message.split('\n')[0]})`);
  }
}
