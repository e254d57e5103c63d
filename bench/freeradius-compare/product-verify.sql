-- radtrack's counterpart of /work/shared/bench/verify-radacct.sql. run-bench.sh (--verify) runs it in one psql
-- session after loading expected.csv into TEMP TABLE bench_expected; it prints
--   expected|rows|closed|exact|dups|background_ok
-- exact = the session row matches on user, Acct-Session-Id, framed IP, login/logout (start/stop time), session
-- time, 64-bit input/output octets (Gigawords included), terminate cause, close_reason 'stop', and the Stop's
-- journal row (the raw packet: Acct-Status-Type 40 = 2, Stop) carries the expected NAS-IP-Address (attribute 4). (radtrack identifies the NAS by source address, 127.0.0.1
-- for all of the harness's traffic; the packet's NAS-IP-Address is kept in the journal, not in sessions.)
-- dups = load Acct-Session-Ids with more than one session row.
-- Straight after a run nothing has been analysed yet (the months' partitions filled during the run): without
-- hash joins the planner, expecting a row or two, nests loops over 20,000 × 20,000.
SET enable_nestloop = off;
WITH stops AS MATERIALIZED (
  -- The Stop packets in the journal (raw datagrams: Acct-Status-Type 40 = 2) with their NAS-IP-Address (4), read
  -- once for all sessions rather than looked up per session.
  SELECT session_id, radius_ipaddr(raw, 4) AS nas_ip FROM journal WHERE radius_integer(raw, 40) = 2
), s AS (
  SELECT s.id, s.acct_session_id, a.username, s.framed_ip, s.login, s.logout, s.session_time, s.input_octets,
         s.output_octets, s.terminate_cause, s.close_reason
  FROM sessions s JOIN accounts a ON a.id = s.account_id
  WHERE s.acct_session_id NOT LIKE 'BG-%'
)
SELECT
  (SELECT count(*) FROM bench_expected),
  (SELECT count(*) FROM s),
  (SELECT count(*) FROM s WHERE logout IS NOT NULL),
  (SELECT count(*) FROM bench_expected e JOIN s ON s.acct_session_id = e.acctsessionid AND s.username = e.username
    JOIN stops j ON j.session_id = s.id
    WHERE s.framed_ip = e.framedipaddress
      AND s.login = to_timestamp(e.acctstarttime_epoch)
      AND s.logout = to_timestamp(e.acctstoptime_epoch)
      AND s.session_time = e.acctsessiontime
      AND s.input_octets = e.acctinputoctets
      AND s.output_octets = e.acctoutputoctets
      AND s.terminate_cause = e.acctterminatecause
      AND s.close_reason = 'stop'
      AND j.nas_ip = e.nasipaddress),
  (SELECT count(*) FROM (SELECT acct_session_id FROM s GROUP BY 1 HAVING count(*) > 1) d),
  (SELECT CASE WHEN count(*) FILTER (WHERE logout IS NULL) = :bg_open
                AND count(*) FILTER (WHERE logout IS NOT NULL) = :bg_closed THEN 1 ELSE 0 END
     FROM sessions WHERE acct_session_id LIKE 'BG-%');
