// `npm run bench:reports [-- --sessions N --accounts N --keep --reuse --url URL]`
//
// generateHistory: a fresh database radtrack_bench_reports on the PostgreSQL server, filled set-based (SQL
// generate_series, no row-by-row inserts) with years of history: NASes, accounts, sessions (a few open), their
// usage deltas and the hourly rollups built by the same SQL as writeUsage. Then times the reports through the
// same functions the CLI calls, and prints the figures. Dropped at the end unless --keep.
//
// Loading is split over one connection per core (PostgreSQL does not parallelise INSERT … SELECT), with
// secondary indexes and FK triggers off during the load and rebuilt after: the way a restore is done.
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import type { Knex } from 'knex';
import { parseArgs } from 'node:util';
import { createKnex } from '../src/db/knex.ts';
import { migrateLatest } from '../src/db/migrations.ts';
import { monthPeriod, rangePeriod, type Period } from '../src/reports/period.ts';
import { whoHeld } from '../src/db/sql/sessions.ts';
import { topUsage, usageByAccount } from '../src/reports/usage.ts';

const DB_NAME = 'radtrack_bench_reports';
const HISTORY_FROM = '2024-01-01T00:00:00Z';
const HISTORY_TO = '2026-11-20T00:00:00Z';
const NOW = new Date('2026-11-21T12:00:00Z');
const OPEN_SESSIONS = 20_000;
const NAS_COUNT = 20;

const { values: opts } = parseArgs({
  options: {
    sessions: { type: 'string', default: '5000000' },
    accounts: { type: 'string', default: '50000' },
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    keep: { type: 'boolean', default: false },
    /** Time the reports on a database kept by an earlier --keep run instead of generating one. */
    reuse: { type: 'boolean', default: false },
  },
});
const SESSIONS = Number(opts.sessions);
const ACCOUNTS = Number(opts.accounts);
const WORKERS = Math.max(2, cpus().length);

const log = (line: string) => process.stdout.write(line + '\n');
const fmt = (n: number) => n.toLocaleString('en-US');

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  log(`  ${label.padEnd(44)} ${fmt(Math.round(performance.now() - t0)).padStart(8)} ms`);
  return out;
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

// Sessions: ids in login order, as the listener creates them (so a month's rows sit together on disk, as in
// production), logins spread evenly over the history with up to an hour of jitter, 5 min – 4 h long; the last
// OPEN_SESSIONS are open (login within the last hours, last update within the last 5 minutes). 20 NASes,
// framed IPs from 10.0.0.0/16, octets a few kB/s.
const SESSIONS_SQL = `
  INSERT INTO sessions (id, nas_id, account_id, acct_session_id, login, logout, last_update, session_time,
                        input_octets, output_octets, framed_ip, close_reason, interim_count)
  SELECT g, 1 + g % :nas::int, 1 + (g * 7919) % :accounts::int, 'b' || g, x.login,
         CASE WHEN x.open THEN NULL ELSE x.login + make_interval(secs => x.dur) END,
         CASE WHEN x.open THEN :now::timestamptz - make_interval(secs => g % 300) ELSE x.login + make_interval(secs => x.dur) END,
         x.dur, x.dur * (1000 + g % 50000), x.dur * (1000 + g % 50000) / 8,
         '10.0.0.0'::inet + (g * 31) % 65536,
         CASE WHEN x.open THEN NULL ELSE 'stop' END,
         CASE WHEN x.dur >= 3600 THEN 1 ELSE 0 END
  FROM generate_series(1 + :k::bigint, :total::bigint, :w::bigint) AS g
  CROSS JOIN LATERAL (SELECT g > :total::bigint - :open_count::bigint AS open, 300 + (g * 40503) % 14100 AS dur) AS d
  CROSS JOIN LATERAL (SELECT d.open, d.dur, CASE WHEN d.open
      THEN :now::timestamptz - make_interval(secs => d.dur)
      ELSE :from::timestamptz + make_interval(secs => (g - 1) * :span::bigint / :total::bigint + (g * 2654435761) % 3600) END AS login) AS x`;

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

async function generateHistory(k: Knex): Promise<void> {
  log(`generating ${fmt(SESSIONS)} sessions of ${fmt(ACCOUNTS)} accounts on ${NAS_COUNT} NASes, ${HISTORY_FROM.slice(0, 10)} … ${HISTORY_TO.slice(0, 10)}, ${WORKERS} connections`);
  const tables = ['sessions', 'usage_deltas', 'usage_hourly'];
  const { rows: indexes } = await k.raw<{ rows: { indexname: string; indexdef: string }[] }>(
    `SELECT indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename = ANY (?)
        AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
    [tables],
  );
  // The rollup's primary key too: its rows arrive in hash order, and one sorted build beats 10M+ random inserts.
  const { rows: [pk] } = await k.raw(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                                      WHERE conrelid = 'usage_hourly'::regclass AND contype = 'p'`);
  await timed('drop secondary indexes for the load', async () => {
    for (const i of indexes) await k.raw(`DROP INDEX ${i.indexname}`);
    await k.raw(`ALTER TABLE usage_hourly DROP CONSTRAINT ${pk.conname}`);
  });
  await timed('nas + accounts', async () => {
    await k.raw(`INSERT INTO nas (address, name, secret, last_seen)
                 SELECT '192.0.2.0'::inet + g, 'nas-' || g, 'bench', ?::timestamptz FROM generate_series(1, ?) g`, [NOW, NAS_COUNT]);
    await k.raw(`INSERT INTO accounts (username, provisioned, data_quota_bytes)
                 SELECT 'user' || lpad(g::text, 6, '0'), true, CASE WHEN g % 10 = 0 THEN 50000000000 END
                 FROM generate_series(1, ?) g`, [ACCOUNTS]);
  });
  const span = (Date.parse(HISTORY_TO) - Date.parse(HISTORY_FROM)) / 1000 - 4 * 3600;
  await timed(`sessions (${fmt(SESSIONS)})`, () =>
    inParallel(k, () => SESSIONS_SQL, { nas: NAS_COUNT, accounts: ACCOUNTS, total: SESSIONS, open_count: OPEN_SESSIONS, now: NOW, from: HISTORY_FROM, span }),
  );
  await k.raw(`SELECT setval(pg_get_serial_sequence('sessions', 'id'), ?)`, [SESSIONS]);
  await timed('usage_deltas', () => inParallel(k, () => DELTAS_SQL));
  await timed('usage_hourly (split at UTC hours, as writeUsage)', () =>
    inParallel(k, () => `INSERT INTO usage_hourly (hour, account_id, seconds, input_octets, output_octets)
      SELECT p.hour, d.account_id, sum(p.seconds), sum(p.input_octets), sum(p.output_octets)
      FROM (SELECT * FROM usage_deltas WHERE account_id % :w = :k AND t1 - t0 <= interval '1 day') d
      CROSS JOIN LATERAL usage_hour_pieces(d.t0, d.t1, d.seconds, d.input_octets, d.output_octets) p
      GROUP BY p.hour, d.account_id
      ORDER BY 1, 2`), // hour order, as ingest appends them; the rule of radtrack_add_usage

  );
  const builds = [`ALTER TABLE usage_hourly ADD CONSTRAINT ${pk.conname} ${pk.def}`, ...indexes.map((i) => i.indexdef)];
  await timed(`rebuild ${builds.length} indexes`, () =>
    Promise.all(Array.from({ length: WORKERS }, (_, w) => (async () => {
      for (const ddl of builds.filter((_, n) => n % WORKERS === w)) {
        await k.transaction(async (trx) => {
          await trx.raw(`SET LOCAL maintenance_work_mem = '512MB'`);
          await trx.raw(ddl);
        });
      }
    })())),
  );
  await timed('analyze', () => k.raw('ANALYZE'));
  const { rows } = await k.raw(`SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM usage_deltas) AS deltas,
                                       (SELECT count(*) FROM usage_hourly) AS hourly, pg_size_pretty(pg_database_size(current_database())) AS size`);
  log(`  rows: ${fmt(Number(rows[0].sessions))} sessions, ${fmt(Number(rows[0].deltas))} usage_deltas, ${fmt(Number(rows[0].hourly))} usage_hourly; database ${rows[0].size}`);
}

/** Best and median of a few runs (the first warms the cache), and the rows of the last. */
async function measure(label: string, runs: number, fn: () => Promise<unknown[]>): Promise<void> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    rows = (await fn()).length;
    ms.push(performance.now() - t0);
  }
  const first = Math.round(ms[0]!);
  const sorted = [...ms].sort((a, b) => a - b);
  const best = Math.round(sorted[0]!);
  const median = Math.round(sorted[Math.floor(sorted.length / 2)]!);
  log(`  ${label.padEnd(56)} ${fmt(rows).padStart(7)} rows  first ${fmt(first).padStart(6)} ms  median ${fmt(median).padStart(6)} ms  best ${fmt(best).padStart(6)} ms`);
}

async function timeReports(k: Knex, url: string): Promise<void> {
  log('reports (same functions as the CLI; now = ' + NOW.toISOString() + ')');
  const month = monthPeriod('2026-10', 'Europe/Berlin');
  const kolkata = monthPeriod('2026-10', 'Asia/Kolkata');
  const year: Period = rangePeriod(new Date('2025-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
  const history: Period = rangePeriod(new Date(HISTORY_FROM), NOW);
  const { rows: [one] } = await k.raw(`SELECT id, username FROM accounts WHERE username = 'user000042'`);
  const runs = 5;
  await measure('usage 2026-10 Europe/Berlin, all accounts', runs, () => usageByAccount(k, { period: month, now: NOW }));
  await measure('usage 2026-10 Asia/Kolkata (+05:30 edges), all accounts', runs, () => usageByAccount(k, { period: kolkata, now: NOW }));
  await measure(`usage 2026-10 Europe/Berlin, one account (${one.username})`, runs, () => usageByAccount(k, { period: month, now: NOW, accountId: one.id }));
  await measure(`usage whole history (${HISTORY_FROM.slice(0, 7)} … now), one account`, runs, () => usageByAccount(k, { period: history, now: NOW, accountId: one.id }));
  await measure('top 10 by octets, 2026-10 Europe/Berlin', runs, () => topUsage(k, { period: month, now: NOW }, 'octets', 10));
  await measure('top 10 by seconds, --from 2025-01-01 --to 2026-01-01', runs, () => topUsage(k, { period: year, now: NOW }, 'seconds', 10));
  await measure('who --ip 10.0.1.44 --at 2026-06-15T12:00:00Z', runs, () => whoHeld(k, '10.0.1.44', new Date('2026-06-15T12:00:00Z')));
  await measure('who --ip 10.0.1.44 --at now', runs, () => whoHeld(k, '10.0.1.44', NOW));
  // End to end, as billing staff run it: process start (tsx), migrations check, query, JSON on stdout.
  const t0 = performance.now();
  const cli = spawnSync('bin/radtrack', ['report', 'usage', '--period', '2026-10', '--tz', 'Europe/Berlin', '--format', 'json', '--db', url], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const cliMs = Math.round(performance.now() - t0);
  const cliRows = cli.status === 0 ? (JSON.parse(cli.stdout) as unknown[]).length : 0;
  log(`  ${'bin/radtrack report usage --period 2026-10 (whole process)'.padEnd(56)} ${fmt(cliRows).padStart(7)} rows  ${fmt(cliMs).padStart(6)} ms${cli.status === 0 ? '' : `  (exit ${cli.status}: ${cli.stderr.trim()})`}`);
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
    k = createKnex(benchUrl.toString(), WORKERS + 1);
    await migrateLatest(k);
    const t0 = performance.now();
    if (reuse) log(`reusing ${DB_NAME}`);
    else {
      await generateHistory(k);
      log(`  generation total ${fmt(Math.round((performance.now() - t0) / 1000))} s`);
    }
    await timeReports(k, benchUrl.toString());
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
