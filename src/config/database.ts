import { resolve } from 'node:path';

/**
 * Where the data lives: a PostgreSQL server, or the embedded PGlite in a data folder (docs/cli.md "Database
 * selection"). `idleInTransactionMs`: how long the embedded server lets a client sit idle inside a
 * transaction before it ends that client (RADTRACK_IDLE_IN_TRANSACTION_MS; default EMBEDDED_IDLE_MS).
 */
export type DatabaseTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'embedded'; dataDir: string; idleInTransactionMs?: number };

export interface DatabaseOptions {
  db?: string;
  dataDir?: string;
}

export function resolveDatabaseTarget(opts: DatabaseOptions, env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  const url = opts.db || env.DATABASE_URL;
  if (url) return { kind: 'postgres', url };
  const dataDir = resolve(opts.dataDir || env.RADTRACK_DATA_DIR || './data');
  const idle = Number(env.RADTRACK_IDLE_IN_TRANSACTION_MS);
  return Number.isInteger(idle) && idle > 0 ? { kind: 'embedded', dataDir, idleInTransactionMs: idle } : { kind: 'embedded', dataDir };
}

/** A target for messages: never includes a password. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'embedded') return `embedded PostgreSQL in ${target.dataDir}`;
  try {
    const u = new URL(target.url);
    return `PostgreSQL ${u.hostname || u.searchParams.get('host') || 'localhost'}${u.port ? ':' + u.port : ''}${u.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}
