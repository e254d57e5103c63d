// `npm run bench:reports [-- --sessions N | --full] [--open N] [--accounts N] [--keep] [--reuse] [--url URL]`
//
// History that scales (issue 8 item 4). A fresh database radtrack_bench_reports on the PostgreSQL server, filled
// set-based (SQL generate_series straight into the partitioned tables, no row-by-row inserts) with years of
// history: NASes, accounts, closed sessions in their monthly partitions, open sessions in sessions_open, their
// usage deltas and the rollups built by the same SQL as ingest (usage_hour_pieces). Then, through the same
// functions the CLI calls:
//   1. the reports (usage for a month over all accounts, top for a year, …), a few runs each;
//   2. reconcile with every session fresh (a cron run that closes nothing), then with every open session stale
//      (closes them all);
//   3. purge of the oldest whole month (a partition dropped, not rows deleted);
// and prints each target as met or missed. Dropped at the end unless --keep / --reuse.
//
// Default 1,000,000 sessions (a few minutes); --full is the 10,000,000 of the targets. --open defaults to a tenth
// of the sessions (1,000,000 with --full). --reuse times a database kept by an earlier --keep run (applying any
// new migration first); if an earlier run's reconcile closed its open sessions, it opens --open new ones.
//
// Loading is split over one connection per core (PostgreSQL does not parallelise INSERT … SELECT), with the
// partitions' indexes off during the load and rebuilt after: the way a restore is done.
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import type { Knex } from 'knex';
import { parseArgs } from 'node:util';
import { createKnex } from '../src/db/knex.ts';
import { migrateLatest } from '../src/db/migrations.ts';
import { monthPeriod, rangePeriod, type Period } from '../src/reports/period.ts';
import { whoHeld } from '../src/db/sql/sessions.ts';
import { topUsage, usageByAccount } from '../src/reports/usage.ts';
import { reconcile } from '../src/reconcile/reconcile.ts';
import { purge } from '../src/purge/purge.ts';
import { monthPartitions } from '../src/db/sql/partitions.ts';

const DB_NAME = 'radtrack_bench_reports';
const HISTORY_FROM = '2024-01-01T00:00:00Z';
const HISTORY_TO = '2026-11-20T00:00:00Z';
const NOW = new Date('2026-11-21T12:00:00Z');
const NAS_COUNT = 20;
/** Targets (issue 8 item 4), in ms, at 10M sessions and 1M open. */
const TARGET_REPORT_MS = 1000;
const TARGET_RECONCILE_MS = 10_000;

const { values: opts } = parseArgs({
  options: {
    sessions: { type: 'string' },
    full: { type: 'boolean', default: false },
    open: { type: 'string' },
    accounts: { type: 'string', default: '50000' },
    url: { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    keep: { type: 'boolean', default: false },
    /** Time the reports on a database kept by an earlier --keep run instead of generating one. */
    reuse: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
  },
});
const SESSIONS = Number(opts.sessions ?? (opts.full ? 10_000_000 : 1_000_000));
const OPEN_SESSIONS = Number(opts.open ?? Math.round(SESSIONS / 10));
const ACCOUNTS = Number(opts.accounts);
const RUNS = Number(opts.runs);
const WORKERS = Math.max(2, cpus().length);

const log = (line: string) => process.stdout.write(line + '\n');
const fmt = (n: number) => n.toLocaleString('en-US');
const verdicts: string[] = [];

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  log(`  ${label.padEnd(56)} ${fmt(Math.round(performance.now() - t0)).padStart(8)} ms`);
  return out;
}

function verdict(what: string, ms: number, targetMs: number): void {
  const line = `${ms <= targetMs ? 'MET   ' : 'MISSED'} ${what}: ${fmt(Math.round(ms))} ms (target ≤ ${fmt(targetMs)} ms)`;
  verdicts.push(line);
}

/** Runs `sqlFor(k)` for k = 0 … WORKERS−1, each on its own connection, all at once. */
function inParallel(pool: Knex, sqlFor: (k: number) => string, bindings: Record<string, unknown> = {}): Promise<unknown> {
  return Promise.all(
    Array.from({ length: WORKERS }, (_, k) =>
      pool.transaction(async (trx) => {
        await trx.raw(`SET LOCAL session_replication_role = replica; SET LOCAL synchronous_commit = off; SET LOCAL work_mem = '256MB'`);
        await trx.raw(sqlFor(k), { ...bindings, k, w: WORKERS });
      }),
    ),
  );
}

// Closed sessions: ids in login order, as the listener creates them (so a month's rows sit together on disk, as
// in production), logins spread evenly over the history with up to an hour of jitter, 5 min – 4 h long, each in
// the monthly partition of its logout. 20 NASes, framed IPs from 10.0.0.0/16, octets a few kB/s.
const CLOSED_SQL = `
  INSERT INTO sessions (id, nas_id, account_id, acct_session_id, login, logout, last_update, session_time,
                        input_octets, output_octets, framed_ip, close_reason, interim_count)
  SELECT g, 1 + g % :nas::int, 1 + (g * 7919) % :accounts::int, 'b' || g, x.login, x.login + make_interval(secs => x.dur),
         x.login + make_interval(secs => x.dur), x.dur, x.dur * (1000 + g % 50000), x.dur * (1000 + g % 50000) / 8,
         '10.0.0.0'::inet + (g * 31) % 65536, 'stop', CASE WHEN x.dur >= 3600 THEN 1 ELSE 0 END
  FROM generate_series(1 + :k::bigint, :total::bigint, :w::bigint) AS g
  CROSS JOIN LATERAL (SELECT 300 + (g * 40503) % 14100 AS dur,
      :from::timestamptz + make_interval(secs => (g - 1) * :span::bigint / :total::bigint + (g * 2654435761) % 3600) AS login) AS x`;

// Open sessions (ids after the closed ones): logged in within the last 4 hours before NOW, last update within
// the last 5 minutes before NOW, so at NOW none is stale (quiet limit 3 × 300 s) and an hour later all are.
const OPEN_SQL = `
  INSERT INTO sessions (id, nas_id, account_id, acct_session_id, login, logout, last_update, session_time,
                        input_octets, output_octets, framed_ip, close_reason, interim_count)
  SELECT g, 1 + g % :nas::int, 1 + (g * 7919) % :accounts::int, 'o' || g, :now::timestamptz - make_interval(secs => x.dur),
         NULL, :now::timestamptz - make_interval(secs => g % 300), x.dur - g % 300, x.dur * (1000 + g % 50000),
         x.dur * (1000 + g % 50000) / 8, '10.1.0.0'::inet + g % 65536, NULL, CASE WHEN x.dur >= 3600 THEN 1 ELSE 0 END
  FROM generate_series(:first::bigint + :k::bigint, :last::bigint, :w::bigint) AS g
  CROSS JOIN LATERAL (SELECT 300 + (g * 40503) % 14100 AS dur) AS x`;

// One delta per session shorter than an hour (Start, Stop), two for longer ones (an Interim half way).
const DELTAS_SQL = `
  INSERT INTO usage_deltas (account_id, session_id, t0, t1, seconds, input_octets, output_octets)
  SELECT s.account_id, s.id, p.t0, p.t1, extract(epoch FROM p.t1 - p.t0), p.i, p.o
  FROM sessions s
  CROSS JOIN LATERAL (SELECT s.login + (s.last_update - s.login) / 2 AS mid, s.session_time >= 3600 AS split) AS m
  CROSS JOIN LATERAL (VALUES
      (s.login, CASE WHEN m.split THEN m.mid ELSE s.last_update END,
       CASE WHEN m.split THEN s.input_octets / 2 ELSE s.input_octets END,
       CASE WHEN m.split THEN s.output_octets / 2 ELSE s.output_octets END),
      (m.mid, s.last_update, s.input_octets - s.input_octets / 2, s.output_octets - s.output_octets / 2)
    ) AS p (t0, t1, i, o)
  WHERE s.id % :w = :k AND (m.split OR p.t0 = s.login)`;

interface LeafIndex {
  tbl: string;
  name: string;
  def: string;
  constraint_def: string | null;
}

/** The indexes of every partition of the loaded tables; the rollups' primary keys stay (their parent's). */
async function leafIndexes(k: Knex): Promise<LeafIndex[]> {
  const { rows } = await k.raw<{ rows: LeafIndex[] }>(`
    SELECT t.relid::regclass::text AS tbl, ic.relname AS name, pg_get_indexdef(ic.oid) AS def,
           pg_get_constraintdef(con.oid) AS constraint_def
    FROM unnest(ARRAY['sessions', 'usage_deltas']::regclass[]) AS r(root)
    CROSS JOIN LATERAL pg_partition_tree(r.root) t
    JOIN pg_index x ON x.indrelid = t.relid
    JOIN pg_class ic ON ic.oid = x.indexrelid
    LEFT JOIN pg_constraint con ON con.conindid = ic.oid AND con.conrelid = t.relid
    WHERE t.isleaf`);
  return rows;
}

async function hasMonthlyRollup(k: Knex): Promise<boolean> {
  const { rows } = await k.raw(`SELECT to_regclass('usage_monthly') IS NOT NULL AS yes`);
  return Boolean(rows[0].yes);
}

async function generateHistory(k: Knex): Promise<void> {
  log(`generating ${fmt(SESSIONS)} sessions (${fmt(OPEN_SESSIONS)} open) of ${fmt(ACCOUNTS)} accounts on ${NAS_COUNT} NASes, ${HISTORY_FROM.slice(0, 10)} … ${HISTORY_TO.slice(0, 10)}, ${WORKERS} connections`);
  await k.raw('SELECT radtrack_ensure_partitions(?::timestamptz, ?::timestamptz)', [HISTORY_FROM, NOW]);
  const indexes = await leafIndexes(k);
  await timed(`drop ${indexes.length} partition indexes for the load`, async () => {
    for (const i of indexes) await k.raw(i.constraint_def ? `ALTER TABLE ${i.tbl} DROP CONSTRAINT "${i.name}"` : `DROP INDEX "${i.name}"`);
  });
  await timed('nas + accounts', async () => {
    await k.raw(`INSERT INTO nas (address, name, secret, last_seen)
                 SELECT '192.0.2.0'::inet + g, 'nas-' || g, 'bench', ?::timestamptz FROM generate_series(1, ?) g`, [NOW, NAS_COUNT]);
    await k.raw(`INSERT INTO accounts (username, provisioned, data_quota_bytes)
                 SELECT 'user' || lpad(g::text, 6, '0'), true, CASE WHEN g % 10 = 0 THEN 50000000000 END
                 FROM generate_series(1, ?) g`, [ACCOUNTS]);
  });
  const closed = SESSIONS - OPEN_SESSIONS;
  const span = (Date.parse(HISTORY_TO) - Date.parse(HISTORY_FROM)) / 1000 - 4 * 3600;
  await timed(`closed sessions (${fmt(closed)})`, () =>
    inParallel(k, () => CLOSED_SQL, { nas: NAS_COUNT, accounts: ACCOUNTS, total: closed, from: HISTORY_FROM, span }),
  );
  await timed(`open sessions (${fmt(OPEN_SESSIONS)})`, () =>
    inParallel(k, () => OPEN_SQL, { nas: NAS_COUNT, accounts: ACCOUNTS, first: closed + 1, last: SESSIONS, now: NOW }),
  );
  await k.raw(`SELECT setval(pg_get_serial_sequence('sessions', 'id'), ?)`, [SESSIONS]);
  await timed('usage_deltas', () => inParallel(k, () => DELTAS_SQL));
  // Split at UTC hours as radtrack_add_usage does; in hour order, as ingest appends them (the BRIN index on hour
  // that reports use for edge hours relies on it).
  await timed('usage_hourly (split at UTC hours, as radtrack_add_usage)', () =>
    inParallel(k, () => `INSERT INTO usage_hourly (hour, account_id, seconds, input_octets, output_octets)
      SELECT p.hour, d.account_id, sum(p.seconds), sum(p.input_octets), sum(p.output_octets)
      FROM (SELECT * FROM usage_deltas WHERE account_id % :w = :k AND t1 - t0 <= interval '1 day') d
      CROSS JOIN LATERAL usage_hour_pieces(d.t0, d.t1, d.seconds, d.input_octets, d.output_octets) p
      GROUP BY p.hour, d.account_id
      ORDER BY p.hour, d.account_id`),
  );
  if (await hasMonthlyRollup(k)) {
    await timed('usage_monthly (from usage_hourly, as the migration)', () =>
      inParallel(k, () => `INSERT INTO usage_monthly (account_id, month, seconds, input_octets, output_octets)
        SELECT account_id, date_trunc('month', hour, 'UTC'), sum(seconds), sum(input_octets), sum(output_octets)
        FROM usage_hourly WHERE account_id % :w = :k GROUP BY 1, 2 ORDER BY 2, 1`),
    );
  }
  await timed(`rebuild ${indexes.length} partition indexes`, () =>
    Promise.all(Array.from({ length: WORKERS }, (_, w) => (async () => {
      for (const i of indexes.filter((_, n) => n % WORKERS === w)) {
        await k.transaction(async (trx) => {
          await trx.raw(`SET LOCAL maintenance_work_mem = '256MB'`);
          await trx.raw(i.constraint_def ? `ALTER TABLE ${i.tbl} ADD CONSTRAINT "${i.name}" ${i.constraint_def}` : i.def);
        });
      }
    })())),
  );
  await timed('vacuum analyze', () => k.raw('VACUUM ANALYZE'));
  await describe(k);
}

async function describe(k: Knex): Promise<void> {
  const { rows } = await k.raw(`SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM sessions_open) AS open,
                                       (SELECT count(*) FROM usage_deltas) AS deltas, (SELECT count(*) FROM usage_hourly) AS hourly,
                                       pg_size_pretty(pg_database_size(current_database())) AS size`);
  const r = rows[0];
  log(`  rows: ${fmt(Number(r.sessions))} sessions (${fmt(Number(r.open))} open), ${fmt(Number(r.deltas))} usage_deltas, ${fmt(Number(r.hourly))} usage_hourly; database ${r.size}`);
}

/** On a kept database whose open sessions an earlier run's reconcile closed: open OPEN_SESSIONS new ones. */
async function reopenSessions(k: Knex): Promise<void> {
  const { rows: [o] } = await k.raw(`SELECT count(*)::int AS n, (SELECT max(id) FROM sessions) AS max FROM sessions_open`);
  if (o.n >= OPEN_SESSIONS) return;
  const first = Number(o.max) + 1;
  await timed(`open sessions again (${fmt(OPEN_SESSIONS)}, no usage)`, () =>
    inParallel(k, () => OPEN_SQL.replace(`'o' || g`, `'r' || g`), { nas: NAS_COUNT, accounts: ACCOUNTS, first, last: first + OPEN_SESSIONS - 1, now: NOW }),
  );
  await k.raw(`SELECT setval(pg_get_serial_sequence('sessions', 'id'), ?)`, [first + OPEN_SESSIONS - 1]);
  await k.raw(`UPDATE nas SET last_seen = ?`, [NOW]);
  await k.raw('VACUUM ANALYZE sessions_open');
}

/** First, median and best of RUNS runs (the first warms the cache), and the rows of the last. Returns the median. */
async function measure(label: string, fn: () => Promise<unknown[]>): Promise<number> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    rows = (await fn()).length;
    ms.push(performance.now() - t0);
  }
  const first = Math.round(ms[0]!);
  const sorted = [...ms].sort((a, b) => a - b);
  const best = Math.round(sorted[0]!);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  log(`  ${label.padEnd(56)} ${fmt(rows).padStart(7)} rows  first ${fmt(first).padStart(6)} ms  median ${fmt(Math.round(median)).padStart(6)} ms  best ${fmt(best).padStart(6)} ms`);
  return median;
}

async function timeReports(k: Knex, url: string): Promise<void> {
  log(`reports (same functions as the CLI; now = ${NOW.toISOString()}; ${RUNS} runs each)`);
  const month = monthPeriod('2026-10', 'Europe/Berlin');
  const utcMonth = monthPeriod('2026-10', 'UTC');
  const kolkata = monthPeriod('2026-10', 'Asia/Kolkata');
  const year: Period = rangePeriod(new Date('2025-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
  const berlinYear: Period = rangePeriod(new Date('2024-12-31T23:00:00Z'), new Date('2025-12-31T23:00:00Z'), 'Europe/Berlin');
  const history: Period = rangePeriod(new Date(HISTORY_FROM), NOW);
  const { rows: [one] } = await k.raw(`SELECT id, username FROM accounts WHERE username = 'user000042'`);
  const q = (period: Period) => ({ period, now: NOW });
  verdict('usage 2026-10 Europe/Berlin, all accounts', await measure('usage 2026-10 Europe/Berlin, all accounts', () => usageByAccount(k, q(month))), TARGET_REPORT_MS);
  verdict('usage 2026-10 UTC, all accounts', await measure('usage 2026-10 UTC, all accounts', () => usageByAccount(k, q(utcMonth))), TARGET_REPORT_MS);
  await measure('usage 2026-10 Asia/Kolkata (+05:30 edges), all accounts', () => usageByAccount(k, q(kolkata)));
  await measure(`usage 2026-10 Europe/Berlin, one account (${one.username})`, () => usageByAccount(k, { ...q(month), accountId: one.id }));
  await measure(`usage whole history (${HISTORY_FROM.slice(0, 7)} … now), one account`, () => usageByAccount(k, { ...q(history), accountId: one.id }));
  await measure('top 10 by octets, 2026-10 Europe/Berlin', () => topUsage(k, q(month), 'octets', 10));
  verdict('top 10 by octets, year 2025 UTC', await measure('top 10 by octets, --from 2025-01-01 --to 2026-01-01', () => topUsage(k, q(year), 'octets', 10)), TARGET_REPORT_MS);
  verdict('top 10 by seconds, year 2025 UTC', await measure('top 10 by seconds, --from 2025-01-01 --to 2026-01-01', () => topUsage(k, q(year), 'seconds', 10)), TARGET_REPORT_MS);
  verdict('top 10 by octets, year 2025 Europe/Berlin', await measure('top 10 by octets, year 2025 Europe/Berlin', () => topUsage(k, q(berlinYear), 'octets', 10)), TARGET_REPORT_MS);
  await measure('who --ip 10.0.1.44 --at 2026-06-15T12:00:00Z', () => whoHeld(k, '10.0.1.44', new Date('2026-06-15T12:00:00Z')));
  await measure('who --ip 10.1.1.44 --at now', () => whoHeld(k, '10.1.1.44', NOW));
  // End to end, as billing staff run it: process start (tsx), migrations check, query, JSON on stdout.
  const t0 = performance.now();
  const cli = spawnSync('bin/radtrack', ['report', 'usage', '--period', '2026-10', '--tz', 'Europe/Berlin', '--format', 'json', '--db', url], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const cliMs = Math.round(performance.now() - t0);
  const cliRows = cli.status === 0 ? (JSON.parse(cli.stdout) as unknown[]).length : 0;
  log(`  ${'bin/radtrack report usage --period 2026-10 (whole process)'.padEnd(56)} ${fmt(cliRows).padStart(7)} rows  ${fmt(cliMs).padStart(6)} ms${cli.status === 0 ? '' : `  (exit ${cli.status}: ${cli.stderr.trim()})`}`);
}

async function timeReconcile(k: Knex, url: string): Promise<void> {
  const { rows: [o] } = await k.raw(`SELECT count(*)::int AS n FROM sessions_open`);
  log(`reconcile (${fmt(o.n)} open sessions, ${NAS_COUNT} NASes)`);
  const db = { knex: k, connection: url };
  const quiet = await timed('reconcile at now: nothing stale', () => reconcile(db, { now: NOW, closeSilent: false, dryRun: false }));
  if (quiet.closed !== 0) throw new Error(`reconcile at now closed ${quiet.closed} sessions, expected none`);
  // An hour later every open session is stale; the NASes were heard meanwhile (Status-Server), so none is silent.
  const later = new Date(NOW.getTime() + 3600_000);
  await k.raw(`UPDATE nas SET last_seen = ?`, [later]);
  const t0 = performance.now();
  const all = await reconcile(db, { now: later, closeSilent: false, dryRun: false });
  const ms = performance.now() - t0;
  log(`  ${`reconcile an hour later: closes all ${fmt(all.closed)}`.padEnd(56)} ${fmt(Math.round(ms)).padStart(8)} ms`);
  const { rows: [left] } = await k.raw(`SELECT count(*)::int AS n FROM sessions_open`);
  if (all.closed !== o.n || left.n !== 0) throw new Error(`reconcile closed ${all.closed} of ${o.n}; ${left.n} still open`);
  verdict(`reconcile closing ${fmt(o.n)} open sessions`, ms, TARGET_RECONCILE_MS);
}

async function timePurge(k: Knex): Promise<void> {
  const oldest = (await monthPartitions(k, 'sessions'))[0];
  if (!oldest) {
    log('purge: no month partition left');
    return;
  }
  const { rows: [n] } = await k.raw(`SELECT count(*)::int AS n FROM "${oldest.name}"`);
  log(`purge --before ${oldest.to.toISOString().slice(0, 10)} (${oldest.name}: ${fmt(n.n)} sessions)`);
  const t0 = performance.now();
  const s = await purge(k, { before: oldest.to, dryRun: false });
  const ms = performance.now() - t0;
  const { rows: [gone] } = await k.raw(`SELECT to_regclass(?) IS NULL AS gone`, [oldest.name]);
  const month = oldest.from.toISOString().slice(0, 7);
  const dropped = gone.gone && s.months_dropped.includes(month);
  log(`  ${`purge: ${fmt(s.sessions)} sessions, months dropped ${s.months_dropped.join(', ') || 'none'}`.padEnd(56)} ${fmt(Math.round(ms)).padStart(8)} ms`);
  verdicts.push(`${dropped && s.sessions === n.n ? 'MET   ' : 'MISSED'} purge of month ${month} drops its partition (${fmt(s.sessions)} sessions, spans kept): ${fmt(Math.round(ms))} ms`);
}

async function main(): Promise<void> {
  const admin = createKnex(opts.url, 1);
  const benchUrl = new URL(opts.url);
  benchUrl.pathname = '/' + DB_NAME;
  let k: Knex | null = null;
  try {
    const { rows: existing } = await admin.raw('SELECT 1 FROM pg_database WHERE datname = ?', [DB_NAME]);
    const reuse = opts.reuse && existing.length > 0;
    if (!reuse) {
      await admin.raw(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
      await admin.raw(`CREATE DATABASE ${DB_NAME}`);
    }
    k = createKnex(benchUrl.toString(), WORKERS + 2);
    await timed('migrate', () => migrateLatest(k!));
    const t0 = performance.now();
    if (reuse) {
      log(`reusing ${DB_NAME}`);
      await reopenSessions(k);
      await describe(k);
    } else {
      await generateHistory(k);
      log(`  generation total ${fmt(Math.round((performance.now() - t0) / 1000))} s`);
    }
    await timeReports(k, benchUrl.toString());
    await timeReconcile(k, benchUrl.toString());
    await timePurge(k);
    log(`targets (${fmt(SESSIONS)} sessions${SESSIONS < 10_000_000 ? '; the targets are for 10,000,000: --full' : ''}):`);
    for (const v of verdicts) log('  ' + v);
  } finally {
    await k?.destroy();
    if (opts.keep || opts.reuse) log(`kept ${benchUrl.toString()}`);
    else await admin.raw(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await admin.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
