-- radtrack's counterpart of /work/shared/bench/reset-radacct.sql, run by run-bench.sh (--reset) before every run
-- while the daemon keeps running. psql variables :closed and :open come from run-bench.sh (--bg-closed/--bg-open).
-- Empties what ingest writes, keeps the NAS table (the daemon's registered 127.0.0.1), then loads the same
-- background as the FreeRADIUS reset: :closed historical (closed) and :open currently-online sessions of other
-- subscribers on a background NAS (198.51.100.1, acct_session_id 'BG-...'), with their accounts, then ANALYZE.
-- Background sessions have no port and exclusive_port = false (they never take part in port conflicts).
-- ports stay: the running daemon keeps their ids in memory (ports are never deleted while their NAS lives).
-- accounts go; the daemon notices (a batch finds its cached account gone) and looks them up again. No RESTART
-- IDENTITY: the daemon takes session ids ahead in blocks, and a sequence started again would hand them out twice.
TRUNCATE usage_hourly, usage_deltas, journal, sessions, accounts, unknown_sources;
INSERT INTO nas (address, name, secret, port_policy)
VALUES ('198.51.100.1', 'bench-background', 'unused-background-secret', 'ignore')
ON CONFLICT (address) DO NOTHING;
-- Closed background sessions fall in December 2025: their month must exist (radtrack makes months ahead itself).
SELECT radtrack_ensure_partitions('2025-12-01 00:00:00+00', '2026-01-01 00:00:00+00');
INSERT INTO accounts (username) SELECT 'bgsub' || g FROM generate_series(0, 49999) g;
INSERT INTO sessions (nas_id, port_id, account_id, acct_session_id, login, logout, last_update, session_time,
    input_octets, output_octets, framed_ip, calling_station_id, called_station_id, terminate_cause, close_reason,
    interim_count)
SELECT (SELECT id FROM nas WHERE address = '198.51.100.1'), NULL, a.id, 'BG-' || g, ts,
    CASE WHEN g <= :closed THEN ts + interval '1 hour' END,
    ts + CASE WHEN g <= :closed THEN interval '1 hour' ELSE interval '55 minutes' END,
    CASE WHEN g <= :closed THEN 3600 ELSE 3300 END, g * 1000, g * 100,
    ('10.' || (g / 65536 % 256) || '.' || (g / 256 % 256) || '.' || (g % 256))::inet, 'bg-mac-' || g, 'bng-bg',
    CASE WHEN g <= :closed THEN 'User-Request' END, CASE WHEN g <= :closed THEN 'stop' END, 11
FROM generate_series(1, :closed + :open) g
CROSS JOIN LATERAL (SELECT timestamptz '2025-12-01 00:00:00+00' + g * interval '20 seconds' AS ts) t
JOIN accounts a ON a.username = 'bgsub' || (g % 50000);
ANALYZE;
