import type { Knex } from 'knex';

// Reconcile over a million open sessions (issue 8 item 4; bench/reports.ts measured 125 s for 1,000,000 stale
// sessions on 20 NASes):
//
// * Reconcile reads the open sessions of one NAS a page at a time, in id order (keyset pages: nas_id = $1 AND
//   id > $2 ORDER BY id). sessions_open had no index that answers that: the planner walked sessions_open_id_uq
//   from the page's first id and skipped every other NAS's rows, so each page read about as many rows as there
//   are NASes times the page. With (nas_id, id) each page is one range of the index. What it costs ingest: one
//   more index entry per new open session, at the end of its NAS's range (ids grow); Interim updates stay HOT,
//   neither column changes while a session is open.
// * A page is closed by one call of radtrack_close_stale: the sessions never travel to the process and back
//   (decoded, closed by closeAsStale, encoded and sent to radtrack_write_batch), and its statement is planned
//   once per connection, as the ingest functions' are.
const CLOSE_STALE = `
  -- Closes as stale (closeAsStale's rule: logout = max(last update, login), close_reason 'stale', estimated,
  -- session time logout − login in whole seconds) the first page_size open sessions of a NAS, by id after
  -- after_id, last updated before "before": moves them from sessions_open into the months of their logouts, as
  -- radtrack_write_batch moves a closing session (and, like it, without locking their accounts: the moved row
  -- keeps its account referenced). The caller holds the NAS's ingest locks. Returns the first greatest(listed, 1)
  -- of them by id, with their usernames, each row carrying how many were closed and the last id; no row when none.
  -- A logout in a month without a partition fails with check_violation (sessions_open's check).
  CREATE FUNCTION radtrack_close_stale(nas bigint, before timestamptz, after_id bigint, page_size integer, listed integer)
  RETURNS TABLE (closed_id bigint, username text, login timestamptz, last_update timestamptz, closed integer, last_id bigint)
  LANGUAGE plpgsql SET enable_seqscan = off AS $$
  BEGIN
    RETURN QUERY
      WITH gone AS (
        DELETE FROM sessions_open s
        WHERE s.id IN (SELECT o.id FROM sessions_open o WHERE o.nas_id = nas AND o.last_update < before AND o.id > after_id
                       ORDER BY o.id LIMIT page_size)
        RETURNING s.*),
      moved AS (
        INSERT INTO sessions (id, nas_id, port_id, account_id, acct_session_id, login, logout, last_update, session_time,
                              input_octets, output_octets, input_packets, output_packets, framed_ip, calling_station_id,
                              called_station_id, terminate_cause, close_reason, logout_estimated, flags, interim_count,
                              exclusive_port)
        SELECT g.id, g.nas_id, g.port_id, g.account_id, g.acct_session_id, g.login, greatest(g.last_update, g.login), g.last_update,
               round(extract(epoch FROM greatest(g.last_update, g.login) - g.login))::bigint, g.input_octets, g.output_octets,
               g.input_packets, g.output_packets, g.framed_ip, g.calling_station_id, g.called_station_id, g.terminate_cause,
               'stale', true, g.flags, g.interim_count, g.exclusive_port
        FROM gone g
        RETURNING sessions.id, sessions.account_id, sessions.login, sessions.last_update),
      firsts AS (
        SELECT m.id, m.account_id, m.login, m.last_update, (count(*) OVER ())::integer AS n, max(m.id) OVER () AS last
        FROM moved m ORDER BY m.id LIMIT greatest(listed, 1))
      SELECT f.id, a.username, f.login, f.last_update, f.n, f.last
      FROM firsts f JOIN accounts a ON a.id = f.account_id
      ORDER BY f.id;
  END $$;`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE INDEX sessions_open_nas_id_idx ON sessions_open (nas_id, id);
    ${CLOSE_STALE}
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION IF EXISTS radtrack_close_stale(bigint, timestamptz, bigint, integer, integer);
    DROP INDEX IF EXISTS sessions_open_nas_id_idx;
  `);
}
