import type { Knex } from 'knex';

// Reports, reconciliation and purge (docs/accounting.md §9–§10).
//
// usage_share / usage_seconds_share: the part of one usage delta [t0, t1) that falls in [a, b). One
// definition, used by writeUsage (split at UTC hours), by the report edges (non-hour-aligned bounds) and by
// the benchmark generator, so hourly rollups and edge parts always agree.
//
// Octets use a cumulative floor: F(x) = floor(total · (x − t0) / (t1 − t0)) in integer microseconds, and the
// part in [a, b) is F(min(b, t1)) − F(max(a, t0)). Every part is an integer, and the parts of any partition of
// [t0, t1) (hours, a month, a month split at a half hour) sum to exactly `total`: reports stay exact and
// additive (usage(A, B) + usage(B, C) = usage(A, C)). div() truncates exactly; numeric `/` would round.
// A zero-length delta (t1 = t0) lands whole at its instant: it belongs to [a, b) iff a ≤ t0 < b.
//
// "What overlaps [a, b)" without scanning from one end of the history: a row no longer than a bound D that
// overlaps [a, b) ends in [a, b + D), a bounded range of the existing btree indexes (usage_deltas_t1_idx,
// sessions_logout_idx). The few longer rows (a session of weeks, a delta across a NAS outage) are in small
// partial GiST range indexes. D is 1 day for deltas (interim intervals are minutes) and 7 days for sessions
// (daily forced reconnects stay short). Queries spell the predicates exactly as here (src/reports/usage.ts).
// Full GiST indexes would do too, but cost minutes to build over millions of rows and every insert pays.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION usage_share(t0 timestamptz, t1 timestamptz, total numeric, a timestamptz, b timestamptz)
    RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN t1 = t0 THEN CASE WHEN a <= t0 AND t0 < b THEN total ELSE 0 END
        WHEN least(b, t1) <= greatest(a, t0) THEN 0
        ELSE div(total * (extract(epoch FROM least(b, t1) - t0) * 1000000), extract(epoch FROM t1 - t0) * 1000000)
           - div(total * (extract(epoch FROM greatest(a, t0) - t0) * 1000000), extract(epoch FROM t1 - t0) * 1000000)
      END
    $$;

    -- Seconds are spread proportionally too; with seconds = t1 − t0 (the usual case) this is the overlap exactly.
    CREATE FUNCTION usage_seconds_share(t0 timestamptz, t1 timestamptz, seconds double precision, a timestamptz, b timestamptz)
    RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN t1 = t0 THEN CASE WHEN a <= t0 AND t0 < b THEN seconds::numeric ELSE 0 END
        WHEN least(b, t1) <= greatest(a, t0) THEN 0
        ELSE seconds::numeric * extract(epoch FROM least(b, t1) - greatest(a, t0)) / extract(epoch FROM t1 - t0)
      END
    $$;

    CREATE INDEX usage_deltas_long_gist ON usage_deltas USING gist (tstzrange(t0, t1, '[]')) WHERE t1 - t0 > interval '1 day';
    CREATE INDEX sessions_long_gist ON sessions USING gist (tstzrange(login, logout, '[]')) WHERE logout - login > interval '7 days';

    -- One row per cron job. A run holds its row with SELECT … FOR UPDATE NOWAIT for its whole transaction: unlike
    -- pg_advisory_lock this also excludes on the embedded backend, where every connection shares one PGlite
    -- session. state keeps what the last run reported (e.g. which NASes were down) so cron output stays quiet
    -- until something changes.
    CREATE TABLE job_locks (
      name         text PRIMARY KEY,
      last_run_at  timestamptz,
      state        jsonb NOT NULL DEFAULT '{}'
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE IF EXISTS job_locks;
    DROP INDEX IF EXISTS sessions_long_gist;
    DROP INDEX IF EXISTS usage_deltas_long_gist;
    DROP INDEX IF EXISTS sessions_closed_span_gist; -- the first version of this migration built these
    DROP INDEX IF EXISTS usage_deltas_span_gist;
    DROP FUNCTION IF EXISTS usage_seconds_share(timestamptz, timestamptz, double precision, timestamptz, timestamptz);
    DROP FUNCTION IF EXISTS usage_share(timestamptz, timestamptz, numeric, timestamptz, timestamptz);
  `);
}
