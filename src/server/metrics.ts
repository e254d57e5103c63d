// `serve --metrics HOST:PORT`: Prometheus metrics on /metrics and the daemon's own health on /health (README
// "Metrics and health"). Everything the ingest path counts is read from its tally on scrape (src/ingest/tally.ts);
// only the batch histograms need a hook, the tally's batch listener. Per-NAS figures (heartbeat, clock skew, open
// sessions, counters) come from the database (db/sql/nas.ts), read at most every few seconds and never awaited
// past a short bound, so a slow or absent database slows no scrape and a scrape never touches the lanes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isSilent } from '../accounting/heartbeat.ts';
import type { HttpAddress } from '../config/config.ts';
import { nasHeartbeats, type NasHeartbeatRow } from '../db/sql/nas.ts';
import { DISCARD_REASONS } from '../ingest/tally.ts';
import type { Logger } from '../log.ts';
import type { Listener } from './listener.ts';

export interface MetricsOptions extends HttpAddress {
  listener: Listener;
  knex: Knex;
  log: Logger;
  /** Per-NAS figures older than this are read again on the next scrape. */
  nasRefreshMs?: number;
}

export interface MetricsServer {
  address(): AddressInfo;
  /** What /health answers: no problems means healthy. */
  problems(): string[];
  stop(): Promise<void>;
}

const NAS_REFRESH_MS = 5000;
/** How long a scrape waits for the database before it serves the figures it has. */
const SCRAPE_DB_WAIT_MS = 2000;
// Packets per committed batch, up to the largest --batch-size; commit time in seconds.
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
const COMMIT_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface NasFigures {
  rows: NasHeartbeatRow[];
  readAt: Date;
}

export async function startMetricsServer(opts: MetricsOptions): Promise<MetricsServer> {
  const { listener, log } = opts;
  const tally = listener.tally;
  const register = new Registry();
  collectDefaultMetrics({ register });

  let nas: NasFigures | null = null;
  let nasReadOk = false;
  let reading: Promise<void> | null = null;
  const refreshMs = opts.nasRefreshMs ?? NAS_REFRESH_MS;
  function refreshNas(): Promise<void> {
    if (nas && Date.now() - nas.readAt.getTime() < refreshMs) return Promise.resolve();
    reading ??= nasHeartbeats(opts.knex)
      .then(
        (rows) => {
          nas = { rows, readAt: new Date() };
          nasReadOk = true;
        },
        (err: Error) => {
          nasReadOk = false;
          log.debug(`metrics: cannot read the NAS figures (${err.message.split('\n')[0]}); serving the last ones`);
        },
      )
      .finally(() => (reading = null));
    return reading;
  }

  // From the tally, exact and current.
  new Counter({
    name: 'radtrack_packets_total',
    help: 'Datagrams by code, Acct-Status-Type and outcome (accepted, duplicate, a discard reason, queue_full, not_stored).',
    labelNames: ['code', 'status_type', 'outcome'],
    registers: [register],
    collect() {
      this.reset();
      for (const [key, n] of tally.packets) {
        const [code, status_type, outcome] = key.split('|');
        this.inc({ code, status_type, outcome }, n);
      }
    },
  });
  new Counter({
    name: 'radtrack_unacknowledged_packets_total',
    help: 'Packets taken but not answered because the database could not store them (the NAS retransmits).',
    registers: [register],
    collect() {
      this.reset();
      let n = 0;
      for (const [key, count] of tally.packets) if (key.endsWith('|not_stored')) n += count;
      this.inc(n);
    },
  });
  new Counter({
    name: 'radtrack_unknown_source_datagrams_total',
    help: 'Datagrams from sources that are not registered NASes ("radtrack nas unknown" lists them).',
    registers: [register],
    collect() {
      this.reset();
      this.inc(tally.totals.unknown_nas);
    },
  });
  new Gauge({
    name: 'radtrack_queue_depth',
    help: 'Packets taken and not yet committed or refused.',
    registers: [register],
    collect() {
      this.set(listener.ingest.pending);
    },
  });
  new Gauge({
    name: 'radtrack_database_writes_failing',
    help: '1 while batch writes fail because the database is unavailable (nothing is acknowledged), else 0.',
    registers: [register],
    collect() {
      this.set(listener.ingest.databaseUnavailableSince ? 1 : 0);
    },
  });
  const batchSize = new Histogram({ name: 'radtrack_batch_size', help: 'Packets per committed batch.', buckets: BATCH_SIZE_BUCKETS, registers: [register] });
  const commitSeconds = new Histogram({
    name: 'radtrack_batch_commit_seconds',
    help: "Time of a committed batch's transaction, retries included.",
    buckets: COMMIT_SECONDS_BUCKETS,
    registers: [register],
  });
  const onBatch = (size: number, ms: number) => {
    batchSize.observe(size);
    commitSeconds.observe(ms / 1000);
  };
  tally.batchListeners.push(onBatch);

  // From the database, as of radtrack_nas_figures_timestamp_seconds.
  const perNas = (name: string, help: string, value: (n: NasHeartbeatRow, now: Date) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['nas'],
      registers: [register],
      collect() {
        this.reset();
        const now = new Date();
        for (const n of nas?.rows ?? []) {
          const v = value(n, now);
          if (v !== null) this.set({ nas: n.address }, v);
        }
      },
    });
  new Gauge({
    name: 'radtrack_nas_info',
    help: 'One series per registered NAS, with its name and port policy.',
    labelNames: ['nas', 'name', 'port_policy'],
    registers: [register],
    collect() {
      this.reset();
      for (const n of nas?.rows ?? []) this.set({ nas: n.address, name: n.name ?? '', port_policy: n.port_policy }, 1);
    },
  });
  perNas('radtrack_nas_last_seen_timestamp_seconds', 'Arrival of the latest authentic packet from the NAS (absent if never heard).', (n) =>
    n.last_seen ? n.last_seen.getTime() / 1000 : null,
  );
  perNas('radtrack_nas_silent', '1 if nothing was heard from the NAS for 3 interim intervals (as "radtrack nas list" says silent), else 0.', (n, now) =>
    isSilent({ lastSeen: n.last_seen, createdAt: n.created_at, interimInterval: n.interim_interval }, now) ? 1 : 0,
  );
  perNas('radtrack_nas_clock_skew_seconds', 'Event-Timestamp minus arrival of the latest packet that carried one.', (n) =>
    n.clock_skew === null ? null : Number(n.clock_skew),
  );
  perNas('radtrack_nas_open_sessions', 'Open sessions per NAS.', (n) => Number(n.open_sessions));
  new Gauge({
    name: 'radtrack_open_sessions',
    help: 'Open sessions over all NASes.',
    registers: [register],
    collect() {
      this.set((nas?.rows ?? []).reduce((sum, n) => sum + Number(n.open_sessions), 0));
    },
  });
  const nasCounter = (name: string, help: string, labelNames: string[], each: (n: NasHeartbeatRow, inc: (labels: Record<string, string>, v: bigint) => void) => void) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [register],
      collect() {
        this.reset();
        for (const n of nas?.rows ?? []) each(n, (labels, v) => this.inc({ nas: n.address, ...labels }, Number(v)));
      },
    });
  nasCounter('radtrack_discards_total', 'Datagrams from a registered NAS dropped unanswered, by reason (docs/accounting.md §1).', ['nas', 'reason'], (n, inc) => {
    for (const reason of DISCARD_REASONS) inc({ reason }, n[reason]);
  });
  nasCounter('radtrack_duplicates_total', 'Retransmissions answered from the duplicate cache, per NAS.', ['nas'], (n, inc) => inc({}, n.duplicates));
  nasCounter('radtrack_accepted_total', 'Packets committed and answered, per NAS.', ['nas'], (n, inc) => inc({}, n.accepted));
  new Gauge({
    name: 'radtrack_nas_figures_timestamp_seconds',
    help: 'When the per-NAS figures were read from the database (they also lag the listener by up to a second).',
    registers: [register],
    collect() {
      if (nas) this.set(nas.readAt.getTime() / 1000);
    },
  });
  new Gauge({
    name: 'radtrack_nas_figures_read_ok',
    help: '1 if the last read of the per-NAS figures from the database succeeded, else 0.',
    registers: [register],
    collect() {
      this.set(nasReadOk ? 1 : 0);
    },
  });

  function problems(): string[] {
    const found: string[] = [];
    try {
      listener.address();
    } catch {
      found.push('listener: the udp socket is closed');
    }
    const since = listener.ingest.databaseUnavailableSince;
    if (since) found.push(`database: writes fail since ${since.toISOString()}; nothing is acknowledged until they succeed`);
    return found;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      await Promise.race([refreshNas(), new Promise((r) => setTimeout(r, SCRAPE_DB_WAIT_MS).unref())]);
      const text = await register.metrics();
      res.writeHead(200, { 'content-type': register.contentType }).end(text);
    } else if (path === '/health') {
      const found = problems();
      const body = { status: found.length === 0 ? 'ok' : 'unhealthy', problems: found, udp: udpAddress() };
      res.writeHead(found.length === 0 ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
    }
  }

  function udpAddress(): string | null {
    try {
      const a = listener.address();
      return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
    } catch {
      return null;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      log.warn(`metrics: cannot answer ${req.url ?? ''}: ${err.message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: opts.host, port: opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    tally.batchListeners.splice(tally.batchListeners.indexOf(onBatch), 1);
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`metrics: cannot listen on tcp ${opts.host}:${opts.port} (${code ?? (err as Error).message}); use another --metrics address`);
  }
  server.on('error', (err) => log.error(`metrics: ${err.message}`));
  const address = server.address() as AddressInfo;
  log.info(`metrics: serving http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/metrics and /health`, {
    metrics_address: address.address,
    metrics_port: address.port,
  });

  return {
    address: () => address,
    problems,
    async stop() {
      const i = tally.batchListeners.indexOf(onBatch);
      if (i >= 0) tally.batchListeners.splice(i, 1);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await reading;
    },
  };
}
