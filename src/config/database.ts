import { resolve } from 'node:path';

/** Where the data lives: a PostgreSQL server, or the embedded PGlite in a data folder (cli.md "Database selection"). */
export type DatabaseTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'embedded'; dataDir: string };

export interface DatabaseOptions {
  db?: string;
  dataDir?: string;
}

export function resolveDatabaseTarget(opts: DatabaseOptions, env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  const url = opts.db || env.DATABASE_URL;
  if (url) return { kind: 'postgres', url };
  return { kind: 'embedded', dataDir: resolve(opts.dataDir || env.RADTRACK_DATA_DIR || './data') };
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
