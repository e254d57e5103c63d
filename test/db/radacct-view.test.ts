// The FreeRADIUS-compatible radacct view (migration 20261203000000_radacct): its columns are those of FreeRADIUS 3.2's
// schema.sql, and the queries daloRADIUS and process-radacct.sql run against radacct give what the sessions say.
// Sessions are written by real packets through the real listener.
import { expect } from 'chai';
import { testKnex } from '../helpers/db.ts';
import { SECRET } from '../helpers/fixtures.ts';
import { useTestServer } from '../helpers/listener.ts';
import { accountingRequest, type AcctRequestSpec } from '../helpers/packets.ts';

const knex = () => testKnex();
const GiB4 = 2n ** 32n;

/** FreeRADIUS 3.2 raddb/mods-config/sql/main/postgresql/schema.sql, table radacct: name and information_schema type. */
const FREERADIUS_RADACCT_COLUMNS: [string, string][] = [
  ['radacctid', 'bigint'], ['acctsessionid', 'text'], ['acctuniqueid', 'text'], ['username', 'text'], ['realm', 'text'],
  ['nasipaddress', 'inet'], ['nasportid', 'text'], ['nasporttype', 'text'],
  ['acctstarttime', 'timestamp with time zone'], ['acctupdatetime', 'timestamp with time zone'], ['acctstoptime', 'timestamp with time zone'],
  ['acctinterval', 'bigint'], ['acctsessiontime', 'bigint'], ['acctauthentic', 'text'], ['connectinfo_start', 'text'],
  ['connectinfo_stop', 'text'], ['acctinputoctets', 'bigint'], ['acctoutputoctets', 'bigint'], ['calledstationid', 'text'],
  ['callingstationid', 'text'], ['acctterminatecause', 'text'], ['servicetype', 'text'], ['framedprotocol', 'text'],
  ['framedipaddress', 'inet'], ['framedipv6address', 'inet'], ['framedipv6prefix', 'inet'], ['framedinterfaceid', 'text'],
  ['delegatedipv6prefix', 'inet'], ['class', 'text'],
];

async function radacctViewColumns(): Promise<[string, string][]> {
  const { rows } = await knex().raw<{ rows: { column_name: string; data_type: string }[] }>(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'radacct' AND table_schema = current_schema() ORDER BY ordinal_position`,
  );
  return rows.map((r) => [r.column_name, r.data_type]);
}

describe('radacct view (FreeRADIUS 3.2 compatible)', function () {
  const ctx = useTestServer();
  const now = Math.floor(Date.now() / 1000);
  // Two days ago, on the hour: all within the NAS's clock limit.
  const t0 = Math.floor((now - 2 * 86_400) / 3600) * 3600;

  async function send(spec: AcctRequestSpec): Promise<void> {
    const response = await ctx.server.client.request(accountingRequest(spec, SECRET));
    expect(response, `an answer to ${spec.statusType} ${spec.sessionId}`).to.not.equal(null);
  }

  /** alice: one closed session (5 GiB in, 64-bit) and one open; bob: one closed session; carol: open, no port. */
  async function traffic(): Promise<void> {
    const alice = { userName: 'alice', nasPortId: 'eth0/1', framedIp: '100.64.0.1', callingStationId: '02:00:00:00:00:01', calledStationId: 'bras-1' };
    await send({ ...alice, statusType: 'Start', sessionId: 'a1', eventTimestamp: t0 });
    await send({ ...alice, statusType: 'Interim-Update', sessionId: 'a1', eventTimestamp: t0 + 300, sessionTime: 300, inputOctets: 4n * GiB4 + 1n, outputOctets: 1000 });
    await send({ ...alice, statusType: 'Stop', sessionId: 'a1', eventTimestamp: t0 + 600, sessionTime: 600, inputOctets: 5n * GiB4, outputOctets: 2000, terminateCause: 'User-Request' });
    await send({ ...alice, statusType: 'Start', sessionId: 'a2', eventTimestamp: t0 + 3600 });
    await send({ ...alice, statusType: 'Interim-Update', sessionId: 'a2', eventTimestamp: t0 + 3900, sessionTime: 300, inputOctets: 700, outputOctets: 70 });
    const bob = { userName: 'bob', nasPort: 7, framedIp: '100.64.0.2' };
    await send({ ...bob, statusType: 'Start', sessionId: 'b1', eventTimestamp: t0 + 60 });
    await send({ ...bob, statusType: 'Stop', sessionId: 'b1', eventTimestamp: t0 + 1260, sessionTime: 1200, inputOctets: 3000, outputOctets: 4000, terminateCause: 'Idle-Timeout' });
    await send({ userName: 'carol', statusType: 'Start', sessionId: 'c1', eventTimestamp: t0 + 120 });
  }

  it('has the column names and types of FreeRADIUS 3.2 schema.sql, in its order, and is read-only', async () => {
    expect(await radacctViewColumns()).to.deep.equal(FREERADIUS_RADACCT_COLUMNS);
    const err = await knex().raw(`INSERT INTO radacct (acctsessionid, acctuniqueid, nasipaddress) VALUES ('x', 'y', '127.0.0.1')`).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error);
  });

  it('lists open sessions with acctstoptime IS NULL, as daloRADIUS "online users" does', async () => {
    await traffic();
    const { rows } = await knex().raw(
      `SELECT username, acctstarttime, acctstoptime, acctinputoctets, nasipaddress, host(framedipaddress) AS ip
         FROM radacct WHERE acctstoptime IS NULL ORDER BY username`,
    );
    expect(rows.map((r: { username: string }) => r.username)).to.deep.equal(['alice', 'carol']);
    expect(rows[0].acctstarttime.toISOString()).to.equal(new Date((t0 + 3600) * 1000).toISOString());
    expect(rows[0]).to.include({ acctstoptime: null, acctinputoctets: 700n, nasipaddress: '127.0.0.1', ip: '100.64.0.1' });
    expect(rows[1]).to.include({ acctinputoctets: 0n, ip: null });
  });

  it('gives every column of a closed session as FreeRADIUS would store it, NULL where radtrack has no data', async () => {
    await traffic();
    const { rows } = await knex().raw(`SELECT * FROM radacct WHERE acctsessionid = 'a1'`);
    expect(rows).to.have.length(1);
    const r = rows[0];
    expect(r).to.include({
      acctsessionid: 'a1', username: 'alice', nasipaddress: '127.0.0.1', nasportid: 'eth0/1', acctsessiontime: 600n,
      acctinputoctets: 5n * GiB4, acctoutputoctets: 2000n, callingstationid: '02:00:00:00:00:01', calledstationid: 'bras-1',
      acctterminatecause: 'User-Request', framedipaddress: '100.64.0.1',
    });
    expect(r.acctstoptime.toISOString()).to.equal(new Date((t0 + 600) * 1000).toISOString());
    expect(r.acctupdatetime.toISOString()).to.equal(new Date((t0 + 600) * 1000).toISOString());
    for (const c of ['realm', 'nasporttype', 'acctinterval', 'acctauthentic', 'connectinfo_start', 'connectinfo_stop', 'servicetype',
      'framedprotocol', 'framedipv6address', 'framedipv6prefix', 'framedinterfaceid', 'delegatedipv6prefix', 'class']) {
      expect(r[c], c).to.equal(null);
    }
    const ids = await knex().raw(`SELECT count(DISTINCT acctuniqueid)::int AS u, count(*)::int AS n, count(DISTINCT radacctid)::int AS i FROM radacct`);
    expect(ids.rows[0]).to.deep.equal({ u: 4, n: 4, i: 4 });
    const bob = await knex().raw(`SELECT nasportid FROM radacct WHERE username = 'bob'`);
    expect(bob.rows[0].nasportid).to.equal('7'); // NAS-Port when there is no NAS-Port-Id, as FreeRADIUS stores it
  });

  it('answers usage per user per month, top users and the sessions of a NAS, as daloRADIUS reports do', async () => {
    await traffic();
    const monthly = await knex().raw(
      `SELECT username, to_char(acctstarttime AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*)::int AS sessions,
              sum(acctsessiontime)::bigint AS seconds, sum(acctinputoctets)::bigint AS upload, sum(acctoutputoctets)::bigint AS download
         FROM radacct GROUP BY username, month ORDER BY username`,
    );
    const month = new Date(t0 * 1000).toISOString().slice(0, 7);
    expect(monthly.rows).to.deep.equal([
      { username: 'alice', month, sessions: 2, seconds: 900n, upload: 5n * GiB4 + 700n, download: 2070n },
      { username: 'bob', month, sessions: 1, seconds: 1200n, upload: 3000n, download: 4000n },
      { username: 'carol', month, sessions: 1, seconds: 0n, upload: 0n, download: 0n },
    ]);
    const top = await knex().raw(
      `SELECT username, sum(acctinputoctets + acctoutputoctets)::bigint AS bytes FROM radacct
        WHERE acctstarttime >= now() - interval '30 days' GROUP BY username ORDER BY bytes DESC LIMIT 2`,
    );
    expect(top.rows.map((r: { username: string }) => r.username)).to.deep.equal(['alice', 'bob']);
    const ofNas = await knex().raw(
      `SELECT acctsessionid FROM radacct WHERE nasipaddress = '127.0.0.1' AND acctstoptime IS NOT NULL ORDER BY acctstarttime`,
    );
    expect(ofNas.rows.map((r: { acctsessionid: string }) => r.acctsessionid)).to.deep.equal(['a1', 'b1']);
    const none = await knex().raw(`SELECT count(*)::int AS n FROM radacct WHERE nasipaddress = '192.0.2.99'`);
    expect(none.rows[0].n).to.equal(0);
  });

  it('runs the usage query of process-radacct.sql (fr_new_data_usage_period): closed since a time, plus open', async () => {
    await traffic();
    const since = new Date((t0 + 900) * 1000); // after a1's stop, before b1's
    const { rows } = await knex().raw(
      `SELECT username, SUM(acctinputoctets)::bigint AS acctinputoctets, SUM(acctoutputoctets)::bigint AS acctoutputoctets
         FROM ((SELECT username, acctinputoctets, acctoutputoctets FROM radacct WHERE acctstoptime > ?)
               UNION ALL
               (SELECT username, acctinputoctets, acctoutputoctets FROM radacct WHERE acctstoptime IS NULL)) AS a
        GROUP BY username ORDER BY username`,
      [since],
    );
    expect(rows).to.deep.equal([
      { username: 'alice', acctinputoctets: 700n, acctoutputoctets: 70n },
      { username: 'bob', acctinputoctets: 3000n, acctoutputoctets: 4000n },
      { username: 'carol', acctinputoctets: 0n, acctoutputoctets: 0n },
    ]);
  });
});
