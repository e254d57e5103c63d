// `radtrack health` (README "Metrics and health"): is the database usable by this radtrack, and does the daemon
// say its listener is well? The daemon is asked over its --metrics HTTP address (/health, src/server/metrics.ts):
// an answer proves the process and its event loop are alive, and the daemon itself knows whether its UDP socket
// is open and its batch writes succeed. The database is checked from here too (SELECT 1, migrations current),
// so a database that went away while no packets arrive is noticed as well.
import { existsSync } from 'node:fs';
import type { HttpAddress } from '../config/config.ts';
import { describeTarget, type DatabaseTarget } from '../config/database.ts';
import { pendingMigrations } from '../db/migrations.ts';
import { openDatabase } from '../db/open.ts';

export interface HealthOptions {
  target: DatabaseTarget;
  /** The daemon's --metrics address; null: the listener is not checked. */
  metrics: HttpAddress | null;
  timeoutMs: number;
}

export interface HealthReport {
  /** One phrase per problem, each naming its component ("database: …", "listener: …"); empty when healthy. */
  problems: string[];
  /** What was found well, for the one line printed when healthy. */
  fine: string[];
}

export async function checkHealth(opts: HealthOptions): Promise<HealthReport> {
  const report: HealthReport = { problems: [], fine: [] };
  const [database, listener] = await Promise.all([
    withTimeout(checkDatabase(opts.target), opts.timeoutMs, `database: ${describeTarget(opts.target)} gave no answer within ${opts.timeoutMs / 1000} s`),
    opts.metrics ? withTimeout(checkListener(opts.metrics), opts.timeoutMs, `listener: no answer from ${healthUrl(opts.metrics)} within ${opts.timeoutMs / 1000} s`) : null,
  ]);
  for (const r of [database, listener]) if (r) (r.ok ? report.fine : report.problems).push(r.text);
  return report;
}

interface Finding {
  ok: boolean;
  text: string;
}

async function withTimeout(check: Promise<Finding>, ms: number, text: string): Promise<Finding> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Finding>((resolve) => (timer = setTimeout(() => resolve({ ok: false, text }), ms)));
  try {
    return await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkDatabase(target: DatabaseTarget): Promise<Finding> {
  const name = describeTarget(target);
  // A health check must not create a database: an embedded folder that is missing is a problem, not a start.
  if (target.kind === 'embedded' && !existsSync(target.dataDir)) {
    return { ok: false, text: `database: no embedded database in ${target.dataDir}; check --data-dir / RADTRACK_DATA_DIR` };
  }
  let db;
  try {
    db = await openDatabase(target, { role: 'health', poolMax: 1, migrate: false });
  } catch (err) {
    return { ok: false, text: firstLine(err) };
  }
  try {
    const pending = await pendingMigrations(db.knex);
    if (pending.length > 0) {
      return { ok: false, text: `database: ${pending.length} migration(s) pending on ${name} (${pending.join(', ')}); run "radtrack migrate"` };
    }
    return { ok: true, text: `database ${name} answers, migrations current` };
  } catch (err) {
    return { ok: false, text: `database: cannot read the migrations of ${name}: ${firstLine(err)}` };
  } finally {
    await db.close().catch(() => undefined);
  }
}

function healthUrl(a: HttpAddress): string {
  // A daemon listening on every address is asked on loopback.
  const host = a.host === '0.0.0.0' ? '127.0.0.1' : a.host === '::' ? '::1' : a.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${a.port}/health`;
}

async function checkListener(a: HttpAddress): Promise<Finding> {
  const url = healthUrl(a);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? firstLine(err);
    return { ok: false, text: `listener: nothing answers on ${url} (${code}); is radtrack serve running with --metrics ${a.host}:${a.port}?` };
  }
  const body = (await res.json().catch(() => null)) as { status?: string; problems?: string[]; udp?: string } | null;
  if (res.status === 200 && body?.status === 'ok') return { ok: true, text: `listener on udp ${body.udp ?? '?'} healthy` };
  if (res.status === 503 && body?.problems) return { ok: false, text: body.problems.map((p) => `daemon ${p}`).join('; ') };
  return { ok: false, text: `listener: ${url} answered HTTP ${res.status}; is that radtrack serve's --metrics address?` };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
