import type { Knex } from 'knex';

// Monthly rollups (issue 8 item 4, "History that scales"). A usage report over a year read every hourly rollup
// row of the year (at 10 million sessions, millions of rows) and took 8–10 s; one over a month over all accounts
// read ~700,000. usage_monthly holds the same sums per account and UTC month — the deltas of at most a day, split
// at UTC hours by usage_hour_pieces and folded into usage_hourly and usage_monthly by the same statement — so a
// period reads its whole UTC months here and only its few edge hours from usage_hourly (src/reports/usage.ts).
//
// What it costs ingest: radtrack_add_usage upserts one more row per account and month of a batch (about as many
// as its hourly upserts). Purge keeps usage, so nothing ever deletes from it. Not partitioned: one row per
// account and month (50,000 accounts × 3 years is 1.8 million rows). Octets are numeric, as in usage_hourly:
// sums stay exact past 2^64 (docs/accounting.md §9).
const BEGIN = `
  CREATE OR REPLACE FUNCTION radtrack_add_usage(usage radtrack_usage[]) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    IF cardinality(usage) = 0 THEN
      RETURN;
    END IF;
    INSERT INTO usage_deltas (account_id, session_id, t0, t1, seconds, input_octets, output_octets)
    SELECT * FROM unnest(usage);`;

// The hourly pieces are made once and go into both rollups (an unreferenced data-modifying WITH still runs).
const ADD_USAGE = `${BEGIN}
    WITH pieces AS (
      SELECT p.hour, d.account_id, sum(p.seconds) AS seconds, sum(p.input_octets) AS input_octets,
             sum(p.output_octets) AS output_octets
      FROM unnest(usage) d CROSS JOIN LATERAL usage_hour_pieces(d.t0, d.t1, d.seconds, d.input_octets, d.output_octets) p
      WHERE d.t1 - d.t0 <= interval '1 day'
      GROUP BY p.hour, d.account_id),
    hourly AS (
      INSERT INTO usage_hourly AS h (hour, account_id, seconds, input_octets, output_octets)
      SELECT hour, account_id, seconds, input_octets, output_octets FROM pieces
      ON CONFLICT (account_id, hour) DO UPDATE SET
        seconds = h.seconds + EXCLUDED.seconds,
        input_octets = h.input_octets + EXCLUDED.input_octets,
        output_octets = h.output_octets + EXCLUDED.output_octets)
    INSERT INTO usage_monthly AS m (account_id, month, seconds, input_octets, output_octets)
    SELECT account_id, date_trunc('month', hour, 'UTC'), sum(seconds), sum(input_octets), sum(output_octets)
    FROM pieces GROUP BY 1, 2
    ON CONFLICT (account_id, month) DO UPDATE SET
      seconds = m.seconds + EXCLUDED.seconds,
      input_octets = m.input_octets + EXCLUDED.input_octets,
      output_octets = m.output_octets + EXCLUDED.output_octets;
  END $$;`;

// As migration 20261202000000_partitioned_ingest made it.
const ADD_USAGE_HOURLY_ONLY = `${BEGIN}
    INSERT INTO usage_hourly AS h (hour, account_id, seconds, input_octets, output_octets)
    SELECT p.hour, d.account_id, sum(p.seconds), sum(p.input_octets), sum(p.output_octets)
    FROM unnest(usage) d CROSS JOIN LATERAL usage_hour_pieces(d.t0, d.t1, d.seconds, d.input_octets, d.output_octets) p
    WHERE d.t1 - d.t0 <= interval '1 day'
    GROUP BY p.hour, d.account_id
    ON CONFLICT (account_id, hour) DO UPDATE SET
      seconds = h.seconds + EXCLUDED.seconds,
      input_octets = h.input_octets + EXCLUDED.input_octets,
      output_octets = h.output_octets + EXCLUDED.output_octets;
  END $$;`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE usage_monthly (
      account_id     bigint NOT NULL,
      month          timestamptz NOT NULL,
      seconds        double precision NOT NULL DEFAULT 0,
      input_octets   numeric NOT NULL DEFAULT 0,
      output_octets  numeric NOT NULL DEFAULT 0,
      PRIMARY KEY (account_id, month)
    );
    CREATE INDEX usage_monthly_month_idx ON usage_monthly (month);
    INSERT INTO usage_monthly (account_id, month, seconds, input_octets, output_octets)
      SELECT account_id, date_trunc('month', hour, 'UTC'), sum(seconds), sum(input_octets), sum(output_octets)
      FROM usage_hourly GROUP BY 1, 2 ORDER BY 2, 1;
    ANALYZE usage_monthly;
    ${ADD_USAGE}
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ${ADD_USAGE_HOURLY_ONLY}
    DROP TABLE usage_monthly;
  `);
}
