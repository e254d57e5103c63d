import type { Knex } from 'knex';

// Core schema: NAS clients, ports, accounts, sessions, journal, unknown sources, usage deltas and rollups.
// See docs/accounting.md; section numbers below refer to it.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE nas (
      id                         bigserial PRIMARY KEY,
      address                    inet NOT NULL UNIQUE,
      name                       text,
      secret                     text NOT NULL CHECK (secret <> ''),
      port_policy                text NOT NULL DEFAULT 'autoclose' CHECK (port_policy IN ('autoclose', 'flag', 'ignore')),
      interim_interval           integer NOT NULL DEFAULT 300 CHECK (interim_interval > 0),
      created_at                 timestamptz NOT NULL DEFAULT now(),
      updated_at                 timestamptz NOT NULL DEFAULT now(),
      -- §5 heartbeat and counters
      last_seen                  timestamptz,
      last_restart               timestamptz,
      clock_skew_seconds         integer,
      accepted                   bigint NOT NULL DEFAULT 0,
      duplicates                 bigint NOT NULL DEFAULT 0,
      discard_malformed          bigint NOT NULL DEFAULT 0,
      discard_bad_authenticator  bigint NOT NULL DEFAULT 0,
      discard_unsupported_code   bigint NOT NULL DEFAULT 0
    );

    -- §1: datagrams from sources that are not registered NASes
    CREATE TABLE unknown_sources (
      address     inet PRIMARY KEY,
      first_seen  timestamptz NOT NULL,
      last_seen   timestamptz NOT NULL,
      count       bigint NOT NULL DEFAULT 0
    );

    -- §4: ports are rows, created on first sight (NAS-Port-Id if present, else NAS-Port)
    CREATE TABLE ports (
      id          bigserial PRIMARY KEY,
      nas_id      bigint NOT NULL REFERENCES nas (id) ON DELETE CASCADE,
      port_key    text NOT NULL,
      first_seen  timestamptz NOT NULL DEFAULT now(),
      UNIQUE (nas_id, port_key)
    );

    -- §7
    CREATE TABLE accounts (
      id                  bigserial PRIMARY KEY,
      username            text NOT NULL UNIQUE,
      provisioned         boolean NOT NULL DEFAULT false,
      time_quota_seconds  bigint CHECK (time_quota_seconds > 0),
      data_quota_bytes    bigint CHECK (data_quota_bytes > 0),
      created_at          timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE sessions (
      id                  bigserial PRIMARY KEY,
      nas_id              bigint NOT NULL REFERENCES nas (id) ON DELETE RESTRICT,
      port_id             bigint REFERENCES ports (id) ON DELETE RESTRICT,
      account_id          bigint NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
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
      close_reason        text CHECK (close_reason IN ('stop', 'nas_restart', 'superseded', 'stale')),
      logout_estimated    boolean NOT NULL DEFAULT false,
      flags               text[] NOT NULL DEFAULT '{}',
      interim_count       integer NOT NULL DEFAULT 0,
      -- the NAS's port policy was autoclose when the session opened: the database then allows one open session per port (§6)
      exclusive_port      boolean NOT NULL DEFAULT false,
      created_at          timestamptz NOT NULL DEFAULT now(),
      updated_at          timestamptz NOT NULL DEFAULT now(),
      CHECK ((logout IS NULL) = (close_reason IS NULL))
    );
    CREATE INDEX sessions_identity_idx ON sessions (nas_id, acct_session_id);
    CREATE UNIQUE INDEX sessions_open_port_uq ON sessions (port_id) WHERE logout IS NULL AND exclusive_port;
    CREATE INDEX sessions_open_port_idx ON sessions (port_id) WHERE logout IS NULL;
    CREATE INDEX sessions_open_nas_idx ON sessions (nas_id, login) WHERE logout IS NULL;
    CREATE INDEX sessions_account_login_idx ON sessions (account_id, login DESC);
    CREATE INDEX sessions_login_idx ON sessions (login DESC, id DESC);
    CREATE INDEX sessions_logout_idx ON sessions (logout) WHERE logout IS NOT NULL;
    CREATE INDEX sessions_framed_ip_idx ON sessions (framed_ip, login) WHERE framed_ip IS NOT NULL;
    CREATE INDEX sessions_conflict_idx ON sessions (id) WHERE 'port_conflict' = ANY (flags);

    -- §8: one row per accepted packet
    CREATE TABLE journal (
      id               bigserial PRIMARY KEY,
      arrival          timestamptz NOT NULL,
      nas_id           bigint REFERENCES nas (id) ON DELETE SET NULL,
      nas_address      inet NOT NULL,
      code             text NOT NULL,
      status_type      text,
      acct_session_id  text,
      username         text,
      session_id       bigint,
      event_time       timestamptz,
      action           text NOT NULL,
      attributes       jsonb NOT NULL
    );
    CREATE INDEX journal_arrival_idx ON journal (arrival);
    CREATE INDEX journal_session_idx ON journal (session_id) WHERE session_id IS NOT NULL;

    -- §9: every change of a session's covered interval or counters, as a segment [t0, t1) whose octets are
    -- spread evenly over it. seconds is negative when a NAS's own Stop shortens an estimated logout.
    CREATE TABLE usage_deltas (
      id             bigserial PRIMARY KEY,
      account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      session_id     bigint NOT NULL,
      t0             timestamptz NOT NULL,
      t1             timestamptz NOT NULL,
      seconds        double precision NOT NULL,
      input_octets   bigint NOT NULL,
      output_octets  bigint NOT NULL,
      CHECK (t1 >= t0)
    );
    CREATE INDEX usage_deltas_t1_idx ON usage_deltas (t1);
    CREATE INDEX usage_deltas_session_idx ON usage_deltas (session_id);

    -- §9 rollups: the deltas split at UTC hour boundaries, summed per account and hour. Survive purge.
    CREATE TABLE usage_hourly (
      account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      hour           timestamptz NOT NULL,
      seconds        double precision NOT NULL DEFAULT 0,
      input_octets   numeric NOT NULL DEFAULT 0,
      output_octets  numeric NOT NULL DEFAULT 0,
      PRIMARY KEY (hour, account_id)
    );
    CREATE INDEX usage_hourly_account_idx ON usage_hourly (account_id, hour);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE IF EXISTS usage_hourly, usage_deltas, journal, sessions, accounts, ports, unknown_sources, nas;
  `);
}
