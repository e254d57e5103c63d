import type { Knex } from 'knex';

// FreeRADIUS compatibility (docs/architecture.md "Coming from FreeRADIUS"):
//
// * radacct: a read-only view with the columns, names and types of FreeRADIUS 3.2's PostgreSQL radacct table
//   (raddb/mods-config/sql/main/postgresql/schema.sql), so daloRADIUS-style reports and the queries of
//   process-radacct.sql run unchanged. It reads the partitioned parent `sessions`, which covers the open
//   partition and every month. Columns radtrack has no data for are NULL of their type, except for imported
//   sessions, whose source row's values are kept in radacct_imported.
// * radacct_imported: one row per radacct row brought in by `radtrack import radacct`, keyed by the source
//   and its radacctid. It is what makes the import idempotent (a row already there is never imported again,
//   also after its session was purged), and it holds the source columns radtrack does not model.
// * radacct_import_progress: per source, the radacctid up to which a run has committed (one page at a time),
//   so an interrupted run resumes where it stopped.
// * nas.secret may be NULL: a NAS registered by an import (`--register-nas`) has no secret, since radacct
//   holds none. The listener ignores such a NAS's datagrams (they count as unknown_nas) until
//   `radtrack nas set IP --secret-file F` gives it one.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE nas ALTER COLUMN secret DROP NOT NULL;

    CREATE TABLE radacct_imported (
      source               text NOT NULL,
      radacctid            bigint NOT NULL,
      session_id           bigint NOT NULL,
      acctuniqueid         text NOT NULL,
      realm                text,
      nasporttype          text,
      acctinterval         bigint,
      acctauthentic        text,
      connectinfo_start    text,
      connectinfo_stop     text,
      servicetype          text,
      framedprotocol       text,
      framedipv6address    inet,
      framedipv6prefix     inet,
      framedinterfaceid    text,
      delegatedipv6prefix  inet,
      class                text,
      imported_at          timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (source, radacctid)
    );
    CREATE UNIQUE INDEX radacct_imported_session_uq ON radacct_imported (session_id);

    CREATE TABLE radacct_import_progress (
      source          text PRIMARY KEY,
      last_radacctid  bigint NOT NULL DEFAULT 0,
      finished        boolean NOT NULL DEFAULT false,
      started_at      timestamptz NOT NULL DEFAULT now(),
      updated_at      timestamptz NOT NULL DEFAULT now()
    );

    -- The name and type of every column are those of FreeRADIUS 3.2's schema.sql, in its order. radacctid is
    -- radtrack's session id; acctuniqueid is the source row's for imported sessions, else a digest of the NAS,
    -- the Acct-Session-Id and the session id (unique, as FreeRADIUS's is). nasportid is NAS-Port-Id, else
    -- NAS-Port, as FreeRADIUS stores it. Framed-IP-Address is IPv4 only (RFC 2865 §5.8).
    CREATE VIEW radacct AS
    SELECT s.id AS radacctid,
           s.acct_session_id AS acctsessionid,
           coalesce(i.acctuniqueid, md5(host(n.address) || ',' || s.acct_session_id || ',' || s.id::text)) AS acctuniqueid,
           a.username AS username,
           i.realm AS realm,
           n.address AS nasipaddress,
           p.port_key AS nasportid,
           i.nasporttype AS nasporttype,
           s.login AS acctstarttime,
           s.last_update AS acctupdatetime,
           s.logout AS acctstoptime,
           i.acctinterval AS acctinterval,
           s.session_time AS acctsessiontime,
           i.acctauthentic AS acctauthentic,
           i.connectinfo_start AS connectinfo_start,
           i.connectinfo_stop AS connectinfo_stop,
           s.input_octets AS acctinputoctets,
           s.output_octets AS acctoutputoctets,
           s.called_station_id AS calledstationid,
           s.calling_station_id AS callingstationid,
           s.terminate_cause AS acctterminatecause,
           i.servicetype AS servicetype,
           i.framedprotocol AS framedprotocol,
           s.framed_ip AS framedipaddress,
           i.framedipv6address AS framedipv6address,
           i.framedipv6prefix AS framedipv6prefix,
           i.framedinterfaceid AS framedinterfaceid,
           i.delegatedipv6prefix AS delegatedipv6prefix,
           i.class AS class
      FROM sessions s
      JOIN nas n ON n.id = s.nas_id
      JOIN accounts a ON a.id = s.account_id
      LEFT JOIN ports p ON p.id = s.port_id
      LEFT JOIN radacct_imported i ON i.session_id = s.id;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP VIEW IF EXISTS radacct;
    DROP TABLE IF EXISTS radacct_import_progress, radacct_imported;
    -- A NAS without a secret gets one nobody knows: its datagrams stay ignored, and its sessions keep their NAS.
    UPDATE nas SET secret = 'unset:' || md5(random()::text || id::text) WHERE secret IS NULL;
    ALTER TABLE nas ALTER COLUMN secret SET NOT NULL;
  `);
}
