import type { Knex } from 'knex';
import { PORT_POLICIES } from '../src/accounting/port-policy.ts';

// The ingest engine's schema (docs/architecture.md "Storage"). What changes and why:
//
// * sessions, journal and usage_deltas are partitioned by month (UTC). Open sessions live in the DEFAULT
//   partition sessions_open (CHECK logout IS NULL): the hot set stays small and its indexes stay in memory
//   however long the history grows; a session that closes moves into the month of its logout, where it never
//   changes again once that month is more than 7 days old (docs/accounting.md "Plausibility"). Purge drops
//   whole months.
// * The journal keeps the raw datagram (bytea) and the few columns that are queried; it is decoded when read
//   (src/protocol/journal.ts). The old jsonb rows stay readable in journal_legacy.
// * No foreign keys on the write path, and few indexes. A foreign key checks each inserted row on its own and
//   locks the referenced row: for the NAS and port of every session that contended between batches, and the
//   per-row check cost more than the insert. The one the spec asks for (an account with sessions cannot be
//   deleted, §7) is a trigger plus one lock of the batch's accounts per batch. "nas remove" checks for
//   sessions itself, under the NAS's ingest locks. Usage rows do not reference accounts.
// * Purge keeps usage: deltas and rollups stay, and each purged session leaves its span (session_spans), so
//   every report gives the same rows before and after a purge, at any minute of any zone.
// * Hourly rollups hold only deltas of at most a day (interims are minutes apart), so one packet's work is
//   bounded whatever it claims; longer deltas are added by reports from usage_deltas. Existing rollups had
//   long deltas folded in: they are taken out here.
// * The write path is three server-side functions (lock and load, write, make partitions): a batch costs
//   four round trips whatever its size, and their statements are planned once per connection.
// * Per NAS, how far its clock may be off (default 7 days) before its event times are not believed.
// * An Accounting-On/Off's copy is recognised by the NAS's last restart; nas.clock_skew_seconds becomes bigint
//   (an Event-Timestamp 68 years off overflowed integer); new discard counter for unprocessable packets.

// Every index costs each new session a few microseconds (measured while profiling the batch transaction; docs/architecture.md "Storage"), so each one here answers a
// query that has no other way: by id (the batch's updates; ids grow, so these inserts are cheap), by identity
// (every packet; its leading nas_id also serves "the open sessions of a NAS"), by port (§6: the unique one is
// the database's guarantee for autoclose ports, the other serves the rest; each row is in one of them), and
// the few port conflicts. The open partition is small: reports that ask it anything else scan it.
const OPEN_SESSION_INDEXES = `
  CREATE UNIQUE INDEX sessions_open_id_uq ON sessions_open (id);
  CREATE INDEX sessions_open_identity_idx ON sessions_open (nas_id, acct_session_id);
  CREATE UNIQUE INDEX sessions_open_exclusive_port_uq ON sessions_open (port_id) WHERE exclusive_port;
  CREATE INDEX sessions_open_shared_port_idx ON sessions_open (port_id) WHERE NOT exclusive_port AND port_id IS NOT NULL;
  CREATE INDEX sessions_open_conflict_idx ON sessions_open (id) WHERE 'port_conflict' = ANY (flags);`;

const FUNCTIONS = `
  -- Monthly partitions of sessions (closed), journal and usage_deltas covering [first, last]; returns how
  -- many tables it made. Serialised by an advisory lock, so two processes never race to create one.
  CREATE FUNCTION radtrack_ensure_partitions(first timestamptz, last timestamptz) RETURNS integer
  LANGUAGE plpgsql AS $$
  DECLARE
    m timestamptz := date_trunc('month', first, 'UTC');
    hi timestamptz;
    suffix text;
    made integer := 0;
  BEGIN
    PERFORM pg_advisory_xact_lock(7305838617100000000);
    WHILE m <= last LOOP
      hi := (date_trunc('month', m, 'UTC') AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
      suffix := to_char(m AT TIME ZONE 'UTC', 'YYYY"m"MM');
      -- A closed month: late packets find its sessions by identity (and then by logout and id, through the
      -- BRIN index); people by account, by login (newest first) and by framed IP.
      IF to_regclass('sessions_' || suffix) IS NULL THEN
        EXECUTE format('CREATE TABLE %I (LIKE sessions INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', 'sessions_' || suffix);
        EXECUTE format($i$
          CREATE INDEX ON %1$I (nas_id, acct_session_id);
          CREATE INDEX ON %1$I (account_id, login);
          CREATE INDEX ON %1$I (login);
          CREATE INDEX ON %1$I (framed_ip, login) WHERE framed_ip IS NOT NULL;
          CREATE INDEX ON %1$I (id) WHERE 'port_conflict' = ANY (flags);
          CREATE INDEX ON %1$I USING brin (logout) WITH (pages_per_range = 16);
          CREATE INDEX ON %1$I USING gist (tstzrange(login, logout, '[]')) WHERE logout - login > interval '7 days';
          ALTER TABLE sessions ATTACH PARTITION %1$I FOR VALUES FROM (%2$L) TO (%3$L);
        $i$, 'sessions_' || suffix, m, hi);
        made := made + 1;
      END IF;
      IF to_regclass('journal_' || suffix) IS NULL THEN
        EXECUTE format($i$
          CREATE TABLE %1$I (LIKE journal INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
          CREATE INDEX ON %1$I USING brin (arrival);
          CREATE INDEX ON %1$I USING brin (session_id) WITH (pages_per_range = 8);
          ALTER TABLE journal ATTACH PARTITION %1$I FOR VALUES FROM (%2$L) TO (%3$L);
        $i$, 'journal_' || suffix, m, hi);
        made := made + 1;
      END IF;
      IF to_regclass('usage_hourly_' || suffix) IS NULL THEN
        EXECUTE format($i$
          CREATE TABLE %1$I (LIKE usage_hourly INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
          ALTER TABLE %1$I ADD PRIMARY KEY (account_id, hour);
          CREATE INDEX ON %1$I USING brin (hour);
          ALTER TABLE usage_hourly ATTACH PARTITION %1$I FOR VALUES FROM (%2$L) TO (%3$L);
        $i$, 'usage_hourly_' || suffix, m, hi);
        made := made + 1;
      END IF;
      IF to_regclass('usage_deltas_' || suffix) IS NULL THEN
        EXECUTE format($i$
          CREATE TABLE %1$I (LIKE usage_deltas INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
          CREATE INDEX ON %1$I USING brin (t1);
          CREATE INDEX ON %1$I USING gist (tstzrange(t0, t1, '[]')) WHERE t1 - t0 > interval '1 day';
          ALTER TABLE usage_deltas ATTACH PARTITION %1$I FOR VALUES FROM (%2$L) TO (%3$L);
        $i$, 'usage_deltas_' || suffix, m, hi);
        made := made + 1;
      END IF;
      m := hi;
    END LOOP;
    RETURN made;
  END $$;

  -- §7: an account that any session references cannot be deleted. A trigger rather than a foreign key: a
  -- foreign key checks every inserted session on its own, which cost ingest more than the insert itself; the
  -- ingest batch locks its accounts once instead (radtrack_write_batch). Same SQLSTATE as the foreign key.
  CREATE FUNCTION radtrack_account_unreferenced() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF EXISTS (SELECT 1 FROM sessions WHERE account_id = OLD.id) THEN
      RAISE foreign_key_violation USING
        MESSAGE = format('account %s is referenced by sessions', OLD.username),
        DETAIL = format('Key (id)=(%s) is still referenced from table "sessions".', OLD.id),
        TABLE = 'sessions', CONSTRAINT = 'session_account_fk';
    END IF;
    RETURN OLD;
  END $$;
  CREATE TRIGGER accounts_unreferenced BEFORE DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION radtrack_account_unreferenced();

  -- The journal keeps packets raw; these read one attribute back (the first occurrence, RFC 2865 §5 framing),
  -- for SQL reports and the journal view. The CLI decodes whole packets (src/protocol/journal.ts).
  CREATE FUNCTION radius_attribute(packet bytea, attribute integer) RETURNS bytea
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
  DECLARE
    len integer := least(length(packet), get_byte(packet, 2) * 256 + get_byte(packet, 3));
    off integer := 20;
    alen integer;
  BEGIN
    WHILE off + 2 <= len LOOP
      alen := get_byte(packet, off + 1);
      IF alen < 2 OR off + alen > len THEN
        RETURN NULL;
      END IF;
      IF get_byte(packet, off) = attribute THEN
        RETURN substring(packet FROM off + 3 FOR alen - 2);
      END IF;
      off := off + alen;
    END LOOP;
    RETURN NULL;
  END $$;

  CREATE FUNCTION radius_integer(packet bytea, attribute integer) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(v) = 4 THEN (get_byte(v, 0)::bigint << 24) + (get_byte(v, 1) << 16) + (get_byte(v, 2) << 8) + get_byte(v, 3) END
    FROM radius_attribute(packet, attribute) AS v
  $$;

  CREATE FUNCTION radius_ipaddr(packet bytea, attribute integer) RETURNS inet
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN length(v) = 4 THEN (get_byte(v, 0) || '.' || get_byte(v, 1) || '.' || get_byte(v, 2) || '.' || get_byte(v, 3))::inet END
    FROM radius_attribute(packet, attribute) AS v
  $$;

  -- The pieces of one usage delta in each UTC hour it touches: the rule hourly rollups are made with
  -- (usage_share, migration 20261122010000_reports), shared by ingest and the report benchmark. Most deltas lie
  -- within one hour (interims are minutes apart): that piece is the whole delta, and the numeric division of
  -- usage_share, which costs more than the rest of the write, is skipped (it would give the same numbers).
  CREATE FUNCTION usage_hour_pieces(t0 timestamptz, t1 timestamptz, seconds double precision, input_octets bigint, output_octets bigint)
  RETURNS TABLE (hour timestamptz, seconds numeric, input_octets numeric, output_octets numeric)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT date_trunc('hour', t0, 'UTC'), seconds::numeric, input_octets::numeric, output_octets::numeric
    WHERE date_trunc('hour', t0, 'UTC') = date_trunc('hour', greatest(t0, t1 - interval '1 microsecond'), 'UTC')
    UNION ALL
    SELECT h, usage_seconds_share(t0, t1, seconds, h, h + interval '1 hour'),
           usage_share(t0, t1, input_octets, h, h + interval '1 hour'),
           usage_share(t0, t1, output_octets, h, h + interval '1 hour')
    FROM generate_series(date_trunc('hour', t0, 'UTC'), greatest(t0, t1 - interval '1 microsecond'), interval '1 hour') AS g(h)
    WHERE date_trunc('hour', t0, 'UTC') <> date_trunc('hour', greatest(t0, t1 - interval '1 microsecond'), 'UTC')
  $$;

  -- Usage deltas, stored and folded into the hourly rollups (one upsert per account and hour). Deltas longer
  -- than a day are not rolled up: reports add them whole (src/reports/usage.ts), and one packet's work stays
  -- bounded whatever interval it claims.
  CREATE FUNCTION radtrack_add_usage(usage radtrack_usage[]) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    IF cardinality(usage) = 0 THEN
      RETURN;
    END IF;
    INSERT INTO usage_deltas (account_id, session_id, t0, t1, seconds, input_octets, output_octets)
    SELECT * FROM unnest(usage);
    INSERT INTO usage_hourly AS h (hour, account_id, seconds, input_octets, output_octets)
    SELECT p.hour, d.account_id, sum(p.seconds), sum(p.input_octets), sum(p.output_octets)
    FROM unnest(usage) d CROSS JOIN LATERAL usage_hour_pieces(d.t0, d.t1, d.seconds, d.input_octets, d.output_octets) p
    WHERE d.t1 - d.t0 <= interval '1 day'
    GROUP BY p.hour, d.account_id
    ON CONFLICT (account_id, hour) DO UPDATE SET
      seconds = h.seconds + EXCLUDED.seconds,
      input_octets = h.input_octets + EXCLUDED.input_octets,
      output_octets = h.output_octets + EXCLUDED.output_octets;
  END $$;

  -- The two ingest functions never scan a table: their statements are planned once per connection and the
  -- plan is kept, so one planned while a month's partition was still empty would otherwise go on reading the
  -- whole partition for every packet as it fills (autovacuum does not run on the embedded database, and is
  -- often late on a server).
  --
  -- Step 1 of an ingest batch: take the batch's ingest locks (sorted by the caller, so batches never
  -- deadlock), then read the sessions its packets can touch: the open session of each identity, else its
  -- latest one closed in [since, until) (sessions closed earlier never change: docs/accounting.md
  -- "Plausibility"), and every open session on the batch's ports (for §6).
  CREATE FUNCTION radtrack_lock_and_load(lock_keys bigint[], nas_ids bigint[], acct_session_ids text[],
                                         rival_nas_ids bigint[], rival_port_keys text[], since timestamptz, until timestamptz)
  RETURNS SETOF sessions LANGUAGE plpgsql SET enable_seqscan = off AS $$
  DECLARE k bigint;
  BEGIN
    FOREACH k IN ARRAY lock_keys LOOP
      PERFORM pg_advisory_xact_lock(k);
    END LOOP;
    -- Each lookup is driven from the batch's own list (LATERAL): a join the planner may turn around scanned
    -- every open session once for each batch when the statistics were taken before the sessions arrived.
    RETURN QUERY
      SELECT o.* FROM unnest(nas_ids, acct_session_ids) AS i(nas_id, acct_session_id)
        CROSS JOIN LATERAL (SELECT * FROM sessions_open s
                            WHERE s.nas_id = i.nas_id AND s.acct_session_id = i.acct_session_id) o;
    -- Closed sessions only for the packets whose identity has no open session (a Start of a new one, mostly):
    -- a packet with an open session applies to it.
    RETURN QUERY
      SELECT x.* FROM unnest(nas_ids, acct_session_ids) AS i(nas_id, acct_session_id)
        CROSS JOIN LATERAL (SELECT * FROM sessions s
                            WHERE s.nas_id = i.nas_id AND s.acct_session_id = i.acct_session_id
                              AND s.logout >= since AND s.logout < until) x
      WHERE NOT EXISTS (SELECT 1 FROM sessions_open o WHERE o.nas_id = i.nas_id AND o.acct_session_id = i.acct_session_id);
    -- The open sessions on the batch's ports, by NAS and port key: the batch may not know a new port's id yet.
    IF cardinality(rival_nas_ids) > 0 THEN
      RETURN QUERY
        SELECT o.* FROM unnest(rival_nas_ids, rival_port_keys) AS r(nas_id, port_key)
          CROSS JOIN LATERAL (SELECT p.id FROM ports p WHERE p.nas_id = r.nas_id AND p.port_key = r.port_key) p
          CROSS JOIN LATERAL (SELECT * FROM sessions_open s WHERE s.port_id = p.id AND s.exclusive_port
                              UNION ALL
                              SELECT * FROM sessions_open s WHERE s.port_id = p.id AND NOT s.exclusive_port) o;
    END IF;
  END $$;

  -- Step 2: everything the batch changed, in an order the constraints accept: rows leaving their partition
  -- first (a superseded session must be gone from sessions_open before its successor on the same port
  -- arrives), then open rows changed in place, then new and moved rows, the journal, the usage deltas and
  -- their hourly rollups (one upsert per account and hour of the batch).
  CREATE FUNCTION radtrack_write_batch(open_leaving bigint[], closed_leaving radtrack_session_ref[],
                                       updated radtrack_session[], inserted radtrack_session[],
                                       packets radtrack_packet[], usage radtrack_usage[])
  RETURNS void LANGUAGE plpgsql SET enable_seqscan = off AS $$
  DECLARE
    n bigint;
    account_ids bigint[];
  BEGIN
    -- Every row the batch read must still be there: a purge (or a hand) may have deleted one since. Then the
    -- batch is retried from the start (serialization_failure), and reads what is there now.
    IF cardinality(open_leaving) > 0 THEN
      DELETE FROM sessions_open WHERE id = ANY (open_leaving);
      GET DIAGNOSTICS n = ROW_COUNT;
      IF n <> cardinality(open_leaving) THEN
        RAISE serialization_failure USING MESSAGE = 'ingest: a session of the batch was deleted meanwhile';
      END IF;
    END IF;
    IF cardinality(closed_leaving) > 0 THEN
      DELETE FROM sessions s USING unnest(closed_leaving) r WHERE s.logout = r.logout AND s.id = r.id;
      GET DIAGNOSTICS n = ROW_COUNT;
      IF n <> cardinality(closed_leaving) THEN
        RAISE serialization_failure USING MESSAGE = 'ingest: a session of the batch was deleted meanwhile';
      END IF;
    END IF;
    IF cardinality(updated) > 0 THEN
      UPDATE sessions_open s SET login = r.login, last_update = r.last_update, session_time = r.session_time,
             input_octets = r.input_octets, output_octets = r.output_octets, input_packets = r.input_packets,
             output_packets = r.output_packets, framed_ip = r.framed_ip, calling_station_id = r.calling_station_id,
             called_station_id = r.called_station_id, terminate_cause = r.terminate_cause, flags = r.flags,
             interim_count = r.interim_count, updated_at = now()
      FROM unnest(updated) r WHERE s.id = r.id;
      GET DIAGNOSTICS n = ROW_COUNT;
      IF n <> cardinality(updated) THEN
        RAISE serialization_failure USING MESSAGE = 'ingest: a session of the batch was deleted meanwhile';
      END IF;
    END IF;
    IF cardinality(inserted) > 0 THEN
      -- What the foreign key of a session to its account would do per row (and that cost more than the rest of
      -- the insert), for the whole batch in one statement: the accounts are locked against deletion until
      -- commit, and one deleted meanwhile is reported as the foreign key would report it.
      -- Only new sessions: a moved one's old row, deleted in this same transaction, keeps its account referenced
      -- (and undeletable) until this transaction has committed.
      account_ids := ARRAY(SELECT DISTINCT r.account_id FROM unnest(inserted) r WHERE NOT r.id = ANY (open_leaving)
                           AND NOT EXISTS (SELECT 1 FROM unnest(closed_leaving) c WHERE c.id = r.id));
      PERFORM 1 FROM accounts a WHERE a.id = ANY (account_ids) FOR KEY SHARE OF a;
      GET DIAGNOSTICS n = ROW_COUNT;
      IF n <> cardinality(account_ids) THEN
        RAISE foreign_key_violation USING MESSAGE = 'ingest: a session''s account no longer exists';
      END IF;
      INSERT INTO sessions (id, nas_id, port_id, account_id, acct_session_id, login, logout, last_update, session_time,
                            input_octets, output_octets, input_packets, output_packets, framed_ip, calling_station_id,
                            called_station_id, terminate_cause, close_reason, logout_estimated, flags, interim_count,
                            exclusive_port)
      SELECT * FROM unnest(inserted);
    END IF;
    INSERT INTO journal (arrival, nas_id, session_id, action, raw) SELECT * FROM unnest(packets);
    PERFORM radtrack_add_usage(usage);
  END $$;`;

export async function up(knex: Knex): Promise<void> {
  const policies = PORT_POLICIES.map((p) => `'${p}'`).join(', ');
  await knex.raw(`
    ALTER TABLE nas ALTER COLUMN clock_skew_seconds TYPE bigint,
      ADD COLUMN discard_unprocessable bigint NOT NULL DEFAULT 0,
      -- How far from arrival an event may be (Event-Timestamp, Acct-Delay-Time) before the arrival time is used
      -- instead; NULL trusts the NAS clock whatever it says (docs/accounting.md "Plausibility").
      ADD COLUMN max_clock_offset integer DEFAULT 604800 CHECK (max_clock_offset > 0),
      DROP CONSTRAINT nas_port_policy_check,
      ADD CONSTRAINT nas_port_policy_check CHECK (port_policy IN (${policies}));

    CREATE TYPE radtrack_session AS (
      id bigint, nas_id bigint, port_id bigint, account_id bigint, acct_session_id text,
      login timestamptz, logout timestamptz, last_update timestamptz,
      session_time bigint, input_octets bigint, output_octets bigint, input_packets bigint, output_packets bigint,
      framed_ip inet, calling_station_id text, called_station_id text, terminate_cause text, close_reason text,
      logout_estimated boolean, flags text[], interim_count integer, exclusive_port boolean);
    CREATE TYPE radtrack_session_ref AS (id bigint, logout timestamptz);
    CREATE TYPE radtrack_packet AS (arrival timestamptz, nas_id bigint, session_id bigint, action text, raw bytea);
    CREATE TYPE radtrack_usage AS (account_id bigint, session_id bigint, t0 timestamptz, t1 timestamptz,
      seconds double precision, input_octets bigint, output_octets bigint);

    -- sessions ---------------------------------------------------------------------------------------
    ALTER TABLE sessions RENAME TO sessions_v1;
    DROP INDEX sessions_identity_idx, sessions_open_port_uq, sessions_open_port_idx, sessions_open_nas_idx,
      sessions_account_login_idx, sessions_login_idx, sessions_logout_idx, sessions_framed_ip_idx,
      sessions_conflict_idx, sessions_long_gist;
    CREATE TABLE sessions (
      id                  bigint NOT NULL DEFAULT nextval('sessions_id_seq'),
      nas_id              bigint NOT NULL,
      port_id             bigint,
      account_id          bigint NOT NULL,
      acct_session_id     text NOT NULL,
      login               timestamptz NOT NULL,
      logout              timestamptz,
      last_update         timestamptz NOT NULL,
      session_time        bigint NOT NULL DEFAULT 0,
      input_octets        bigint NOT NULL DEFAULT 0,
      output_octets       bigint NOT NULL DEFAULT 0,
      input_packets       bigint NOT NULL DEFAULT 0,
      output_packets      bigint NOT NULL DEFAULT 0,
      framed_ip           inet,
      calling_station_id  text,
      called_station_id   text,
      terminate_cause     text,
      close_reason        text CONSTRAINT session_close_reason_known CHECK (close_reason IN ('stop', 'nas_restart', 'superseded', 'stale')),
      logout_estimated    boolean NOT NULL DEFAULT false,
      flags               text[] NOT NULL DEFAULT '{}',
      interim_count       integer NOT NULL DEFAULT 0,
      exclusive_port      boolean NOT NULL DEFAULT false,
      created_at          timestamptz NOT NULL DEFAULT now(),
      updated_at          timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT session_closed_with_reason CHECK ((logout IS NULL) = (close_reason IS NULL))
    ) PARTITION BY RANGE (logout);
    -- Open sessions change with every Interim: leave room on each page for a HOT update.
    CREATE TABLE sessions_open PARTITION OF sessions (CONSTRAINT sessions_open_only CHECK (logout IS NULL))
      DEFAULT WITH (fillfactor = 70);
    ${OPEN_SESSION_INDEXES}
    ALTER SEQUENCE sessions_id_seq OWNED BY sessions.id;

    -- journal ----------------------------------------------------------------------------------------
    ALTER TABLE journal RENAME TO journal_legacy;
    ALTER INDEX journal_arrival_idx RENAME TO journal_legacy_arrival_idx;
    ALTER INDEX journal_session_idx RENAME TO journal_legacy_session_idx;
    CREATE TABLE journal (
      arrival     timestamptz NOT NULL,
      nas_id      bigint NOT NULL,
      session_id  bigint,
      action      text NOT NULL,
      raw         bytea NOT NULL
    ) PARTITION BY RANGE (arrival);

    -- usage --------------------------------------------------------------------------------------------
    ALTER TABLE usage_deltas RENAME TO usage_deltas_v1;
    DROP INDEX usage_deltas_t1_idx, usage_deltas_session_idx, usage_deltas_long_gist;
    CREATE TABLE usage_deltas (
      account_id     bigint NOT NULL,
      session_id     bigint NOT NULL,
      t0             timestamptz NOT NULL,
      t1             timestamptz NOT NULL,
      seconds        double precision NOT NULL,
      input_octets   bigint NOT NULL,
      output_octets  bigint NOT NULL,
      CONSTRAINT usage_delta_forward CHECK (t1 >= t0)
    ) PARTITION BY RANGE (t1);
    -- One index per rollup row instead of two: by month (reports over all accounts read a month's partitions),
    -- then by account and hour (one account's usage).
    ALTER TABLE usage_hourly RENAME TO usage_hourly_v1;
    ALTER TABLE usage_hourly_v1 DROP CONSTRAINT usage_hourly_account_id_fkey;
    DROP INDEX usage_hourly_account_idx;
    ALTER TABLE usage_hourly_v1 RENAME CONSTRAINT usage_hourly_pkey TO usage_hourly_v1_pkey;
    CREATE TABLE usage_hourly (
      account_id     bigint NOT NULL,
      hour           timestamptz NOT NULL,
      seconds        double precision NOT NULL DEFAULT 0,
      input_octets   numeric NOT NULL DEFAULT 0,
      output_octets  numeric NOT NULL DEFAULT 0,
      PRIMARY KEY (account_id, hour)
    ) PARTITION BY RANGE (hour);

    -- What purge leaves of a session: when it ran, for whom. Usage reports count sessions from these too, so a
    -- purge changes no report (the usage itself stays in usage_deltas and usage_hourly).
    CREATE TABLE session_spans (
      account_id  bigint NOT NULL,
      login       timestamptz NOT NULL,
      logout      timestamptz NOT NULL
    );
    CREATE INDEX session_spans_logout_idx ON session_spans (logout);
    CREATE INDEX session_spans_long_gist ON session_spans USING gist (tstzrange(login, logout, '[]')) WHERE logout - login > interval '7 days';

    ${FUNCTIONS}
  `);

  // Move the existing rows into their months.
  await knex.raw(`
    SELECT radtrack_ensure_partitions(
      least((SELECT min(logout) FROM sessions_v1), (SELECT min(t1) FROM usage_deltas_v1), (SELECT min(hour) FROM usage_hourly_v1),
            now() - interval '1 month'),
      greatest((SELECT max(hour) FROM usage_hourly_v1), now() + interval '2 months'));
    INSERT INTO usage_hourly (account_id, hour, seconds, input_octets, output_octets)
      SELECT account_id, hour, seconds, input_octets, output_octets FROM usage_hourly_v1;
    DROP TABLE usage_hourly_v1;
    INSERT INTO sessions (id, nas_id, port_id, account_id, acct_session_id, login, logout, last_update, session_time,
                          input_octets, output_octets, input_packets, output_packets, framed_ip, calling_station_id,
                          called_station_id, terminate_cause, close_reason, logout_estimated, flags, interim_count,
                          exclusive_port, created_at, updated_at)
      SELECT id, nas_id, port_id, account_id, acct_session_id, login, logout, last_update, session_time,
             input_octets, output_octets, input_packets, output_packets, framed_ip, calling_station_id,
             called_station_id, terminate_cause, close_reason, logout_estimated, flags, interim_count,
             exclusive_port, created_at, updated_at
      FROM sessions_v1;
    DROP TABLE sessions_v1;

    UPDATE usage_hourly u SET seconds = u.seconds - l.seconds, input_octets = u.input_octets - l.input_octets,
           output_octets = u.output_octets - l.output_octets
    FROM (SELECT p.hour, d.account_id, sum(p.seconds) AS seconds, sum(p.input_octets) AS input_octets,
                 sum(p.output_octets) AS output_octets
          FROM usage_deltas_v1 d CROSS JOIN LATERAL usage_hour_pieces(d.t0, d.t1, d.seconds, d.input_octets, d.output_octets) p
          WHERE d.t1 - d.t0 > interval '1 day'
          GROUP BY p.hour, d.account_id) l
    WHERE u.hour = l.hour AND u.account_id = l.account_id;
    INSERT INTO usage_deltas SELECT account_id, session_id, t0, t1, seconds, input_octets, output_octets FROM usage_deltas_v1;
    DROP TABLE usage_deltas_v1;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION radtrack_write_batch(bigint[], radtrack_session_ref[], radtrack_session[], radtrack_session[], radtrack_packet[], radtrack_usage[]);
    DROP FUNCTION radtrack_lock_and_load(bigint[], bigint[], text[], bigint[], text[], timestamptz, timestamptz);
    DROP FUNCTION radtrack_add_usage(radtrack_usage[]);

    DROP TABLE session_spans;
    ALTER TABLE usage_deltas RENAME TO usage_deltas_v2;
    CREATE TABLE usage_deltas (
      id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      session_id bigint NOT NULL, t0 timestamptz NOT NULL, t1 timestamptz NOT NULL, seconds double precision NOT NULL,
      input_octets bigint NOT NULL, output_octets bigint NOT NULL, CHECK (t1 >= t0));
    INSERT INTO usage_deltas (account_id, session_id, t0, t1, seconds, input_octets, output_octets)
      SELECT d.account_id, d.session_id, d.t0, d.t1, d.seconds, d.input_octets, d.output_octets
      FROM usage_deltas_v2 d JOIN accounts a ON a.id = d.account_id;
    CREATE INDEX usage_deltas_t1_idx ON usage_deltas (t1);
    CREATE INDEX usage_deltas_session_idx ON usage_deltas (session_id);
    CREATE INDEX usage_deltas_long_gist ON usage_deltas USING gist (tstzrange(t0, t1, '[]')) WHERE t1 - t0 > interval '1 day';
    UPDATE usage_hourly u SET seconds = u.seconds + l.seconds, input_octets = u.input_octets + l.input_octets,
           output_octets = u.output_octets + l.output_octets
    FROM (SELECT p.hour, d.account_id, sum(p.seconds) AS seconds, sum(p.input_octets) AS input_octets,
                 sum(p.output_octets) AS output_octets
          FROM usage_deltas d CROSS JOIN LATERAL usage_hour_pieces(d.t0, d.t1, d.seconds, d.input_octets, d.output_octets) p
          WHERE d.t1 - d.t0 > interval '1 day'
          GROUP BY p.hour, d.account_id) l
    WHERE u.hour = l.hour AND u.account_id = l.account_id;
    DROP TABLE usage_deltas_v2;
    ALTER TABLE usage_hourly RENAME TO usage_hourly_v2;
    CREATE TABLE usage_hourly (
      account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE, hour timestamptz NOT NULL,
      seconds double precision NOT NULL DEFAULT 0, input_octets numeric NOT NULL DEFAULT 0,
      output_octets numeric NOT NULL DEFAULT 0, PRIMARY KEY (hour, account_id));
    CREATE INDEX usage_hourly_account_idx ON usage_hourly (account_id, hour);
    INSERT INTO usage_hourly SELECT h.account_id, h.hour, h.seconds, h.input_octets, h.output_octets
      FROM usage_hourly_v2 h JOIN accounts a ON a.id = h.account_id;
    DROP TABLE usage_hourly_v2;

    DROP TABLE journal;
    ALTER TABLE journal_legacy RENAME TO journal;
    ALTER INDEX journal_legacy_arrival_idx RENAME TO journal_arrival_idx;
    ALTER INDEX journal_legacy_session_idx RENAME TO journal_session_idx;

    ALTER TABLE sessions RENAME TO sessions_v2;
    ALTER SEQUENCE sessions_id_seq OWNED BY NONE;
    CREATE TABLE sessions (LIKE sessions_v2 INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
    INSERT INTO sessions SELECT * FROM sessions_v2;
    DROP TABLE sessions_v2;
    DROP FUNCTION radtrack_ensure_partitions(timestamptz, timestamptz);
    DROP FUNCTION usage_hour_pieces(timestamptz, timestamptz, double precision, bigint, bigint);
    DROP FUNCTION radius_ipaddr(bytea, integer), radius_integer(bytea, integer), radius_attribute(bytea, integer);
    DROP TRIGGER accounts_unreferenced ON accounts;
    DROP FUNCTION radtrack_account_unreferenced();
    ALTER SEQUENCE sessions_id_seq OWNED BY sessions.id;
    ALTER TABLE sessions ADD PRIMARY KEY (id),
      ADD CONSTRAINT sessions_nas_id_foreign FOREIGN KEY (nas_id) REFERENCES nas (id) ON DELETE RESTRICT,
      ADD CONSTRAINT sessions_port_id_foreign FOREIGN KEY (port_id) REFERENCES ports (id) ON DELETE RESTRICT,
      ADD CONSTRAINT sessions_account_id_foreign FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE RESTRICT;
    CREATE INDEX sessions_identity_idx ON sessions (nas_id, acct_session_id);
    CREATE UNIQUE INDEX sessions_open_port_uq ON sessions (port_id) WHERE logout IS NULL AND exclusive_port;
    CREATE INDEX sessions_open_port_idx ON sessions (port_id) WHERE logout IS NULL;
    CREATE INDEX sessions_open_nas_idx ON sessions (nas_id, login) WHERE logout IS NULL;
    CREATE INDEX sessions_account_login_idx ON sessions (account_id, login DESC);
    CREATE INDEX sessions_login_idx ON sessions (login DESC, id DESC);
    CREATE INDEX sessions_logout_idx ON sessions (logout) WHERE logout IS NOT NULL;
    CREATE INDEX sessions_framed_ip_idx ON sessions (framed_ip, login) WHERE framed_ip IS NOT NULL;
    CREATE INDEX sessions_conflict_idx ON sessions (id) WHERE 'port_conflict' = ANY (flags);
    CREATE INDEX sessions_long_gist ON sessions USING gist (tstzrange(login, logout, '[]')) WHERE logout - login > interval '7 days';

    DROP TYPE radtrack_usage, radtrack_packet, radtrack_session_ref, radtrack_session;
    ALTER TABLE nas DROP COLUMN discard_unprocessable, DROP COLUMN max_clock_offset, ALTER COLUMN clock_skew_seconds TYPE integer
      USING greatest(least(clock_skew_seconds, 2147483647), -2147483648);
  `);
}
