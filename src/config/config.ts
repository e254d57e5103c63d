// The configuration of `radtrack serve`: flags, then environment, then defaults, read once, validated, frozen,
// and handed down. Nothing below src/cli reads process.env or argv for these.
import { isIP } from 'node:net';
import { LOG_FORMATS, type LogFormat } from '../log.ts';
import { resolveDatabaseTarget, type DatabaseTarget } from './database.ts';

export interface ListenerConfig {
  host: string;
  port: number;
  /** Batches in flight at once, each on its own database connection (src/ingest/lanes.ts). */
  lanes: number;
  /** Most packets committed in one transaction. */
  batchMaxSize: number;
  /** Packets taken and not yet committed, over all lanes: past it the NAS must retransmit. */
  maxPending: number;
  nasReloadMs: number;
  tallyFlushMs: number;
}

/** An HTTP listening address, as `--metrics HOST:PORT` gives it. */
export interface HttpAddress {
  host: string;
  port: number;
}

export interface ServeConfig {
  database: DatabaseTarget;
  listener: ListenerConfig;
  /**
   * `serve --seed-dev` (what `npm start` runs): register the development NAS (seeds/) before listening, on the
   * embedded backend only. A server named by DATABASE_URL or --db is never seeded this way.
   */
  seedDev: boolean;
  /** Where /metrics and /health are served; null: not at all (the default). */
  metrics: HttpAddress | null;
  logFormat: LogFormat;
}

export const LISTENER_DEFAULTS: Readonly<ListenerConfig> = Object.freeze({
  host: '0.0.0.0',
  port: 1813, // RFC 2866 §2 (IANA radius-acct)
  lanes: 2, // two batches in flight keep both cores busy on a 2-core host (docs/architecture.md "Lanes and buckets")
  batchMaxSize: 500,
  maxPending: 20_000,
  nasReloadMs: 2000,
  tallyFlushMs: 1000,
});

export class ConfigError extends Error {}

export interface ServeFlags {
  db?: string;
  dataDir?: string;
  host?: string;
  port?: number;
  writers?: number;
  batchSize?: number;
  seedDev?: boolean;
  metrics?: string;
  logFormat?: string;
}

function integer(value: unknown, name: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}: "${String(value)}" is not a whole number in ${min}-${max}`);
  return n;
}

/**
 * `HOST:PORT`, `[IPv6]:PORT`, or a bare `PORT` meaning 127.0.0.1: metrics stay on loopback unless an address
 * is given.
 */
export function parseHttpAddress(value: string, name: string): HttpAddress {
  const text = value.trim();
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const host = m ? m[1] || m[2] || '127.0.0.1' : '';
  if (!m || isIP(host) === 0) {
    throw new ConfigError(`${name}: "${value}" is not HOST:PORT; use an IP address and a port, like 127.0.0.1:9813 or [::1]:9813`);
  }
  return { host, port: integer(m[3], name, 0, 65535) };
}

/** text or json (RADTRACK_LOG_FORMAT), for log shippers. */
export function parseLogFormat(value: string, name: string): LogFormat {
  const format = LOG_FORMATS.find((f) => f === value.trim().toLowerCase());
  if (!format) throw new ConfigError(`${name}: "${value}" is not a log format; use ${LOG_FORMATS.join(' or ')}`);
  return format;
}

/**
 * Flags win over the environment (RADTRACK_HOST, RADTRACK_PORT, RADTRACK_WRITERS, RADTRACK_METRICS,
 * RADTRACK_LOG_FORMAT), which wins over defaults.
 */
export function loadServeConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const d = LISTENER_DEFAULTS;
  const host = (flags.host ?? env.RADTRACK_HOST ?? d.host).trim();
  if (host === '') throw new ConfigError('--host / RADTRACK_HOST: empty; give an address such as 0.0.0.0 or ::');
  const listener: ListenerConfig = {
    ...d,
    host,
    port: integer(flags.port ?? env.RADTRACK_PORT ?? d.port, '--port / RADTRACK_PORT', 0, 65535),
    lanes: integer(flags.writers ?? env.RADTRACK_WRITERS ?? d.lanes, '--writers / RADTRACK_WRITERS', 1, 16),
    batchMaxSize: integer(flags.batchSize ?? d.batchMaxSize, '--batch-size', 1, 5000),
  };
  const metricsText = flags.metrics ?? env.RADTRACK_METRICS;
  const metrics = metricsText === undefined || metricsText.trim() === '' ? null : parseHttpAddress(metricsText, '--metrics / RADTRACK_METRICS');
  return Object.freeze({
    database: resolveDatabaseTarget({ db: flags.db, dataDir: flags.dataDir }, env),
    listener: Object.freeze(listener),
    seedDev: flags.seedDev ?? false,
    metrics: metrics ? Object.freeze(metrics) : null,
    logFormat: parseLogFormat(flags.logFormat ?? env.RADTRACK_LOG_FORMAT ?? 'text', '--log-format / RADTRACK_LOG_FORMAT'),
  });
}
