// `radtrack import radacct --from URL` against the stock FreeRADIUS 3.2 radacct table (schema.sql, verbatim in
// test/fixtures/freeradius/) in a fresh database of the local PostgreSQL server, created and dropped per test. The
// target is the run's test database, on either backend.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/knex.ts';
import { registerNasWithoutSecret } from '../../src/db/sql/radacct.ts';
import { importRadacct, sourceKey } from '../../src/import/radacct.ts';
import { expectFailure, radtrack, radtrackJson } from '../helpers/cli.ts';
import { testKnex, truncateAll } from '../helpers/db.ts';
import { insertNas, SECRET } from '../helpers/fixtures.ts';
import { startTestServer } from '../helpers/listener.ts';
import { accountingRequest } from '../helpers/packets.ts';

const SCHEMA = readFileSync(new URL('../fixtures/freeradius/radacct-schema.sql', import.meta.url), 'utf8');
const GiB4 = 2n ** 32n;
const knex = () => testKnex();

const HOUR = 3_600_000;
const now = Date.now();
// Closed sessions well in the past (final: docs/accounting.md "Plausibility"), on the hour.
const T = new Date(Math.floor((now - 40 * 86_400_000) / HOUR) * HOUR);
const at = (hours: number) => new Date(T.getTime() + hours * HOUR);

interface Row {
  acctsessionid: string;
  acctuniqueid: string;
  username?: string | null;
  nasipaddress: string;
  nasportid?: string | null;
  acctstarttime?: Date | null;
  acctupdatetime?: Date | null;
  acctstoptime?: Date | null;
  acctsessiontime?: number | null;
  acctinputoctets?: string | null;
  acctoutputoctets?: string | null;
  acctterminatecause?: string | null;
  framedipaddress?: string | null;
  realm?: string | null;
  nasporttype?: string | null;
  class?: string | null;
  framedipv6address?: string | null;
}

/** Representative rows: closed with Gigawords, open, NULL everywhere, one Acct-Session-Id on two NASes, a 3-day session, no times. */
const ROWS: Row[] = [
  { acctsessionid: 'a1', acctuniqueid: 'u-a1', username: 'alice', nasipaddress: '192.0.2.1', nasportid: 'eth0/1', acctstarttime: at(0),
    acctupdatetime: at(2), acctstoptime: at(2), acctsessiontime: 7200, acctinputoctets: String(5n * GiB4 + 10n), acctoutputoctets: '3000',
    acctterminatecause: 'User-Request', framedipaddress: '100.64.0.1', realm: 'example.net', nasporttype: 'Ethernet', class: 'gold',
    framedipv6address: '2001:db8::1' },
  { acctsessionid: 'b1', acctuniqueid: 'u-b1', username: 'bob', nasipaddress: '192.0.2.1', nasportid: '7', acctstarttime: new Date(now - HOUR),
    acctupdatetime: new Date(now - 300_000), acctsessiontime: 3300, acctinputoctets: '1000', acctoutputoctets: '2000', framedipaddress: '100.64.0.2' },
  { acctsessionid: 'n1', acctuniqueid: 'u-n1', username: null, nasipaddress: '192.0.2.2', acctstarttime: at(1), acctstoptime: at(1.5),
    acctsessiontime: null, acctinputoctets: null, acctoutputoctets: null },
  { acctsessionid: 'dup', acctuniqueid: 'u-dup-1', username: 'carol', nasipaddress: '192.0.2.1', nasportid: 'eth0/2', acctstarttime: at(3),
    acctupdatetime: at(4), acctstoptime: at(4), acctsessiontime: 3600, acctinputoctets: '100', acctoutputoctets: '200', acctterminatecause: 'Idle-Timeout' },
  { acctsessionid: 'dup', acctuniqueid: 'u-dup-2', username: 'carol', nasipaddress: '192.0.2.2', nasportid: 'eth0/2', acctstarttime: at(3),
    acctupdatetime: at(5), acctstoptime: at(5), acctsessiontime: 7200, acctinputoctets: '300', acctoutputoctets: '400' },
  { acctsessionid: 'long', acctuniqueid: 'u-long', username: 'dave', nasipaddress: '192.0.2.1', nasportid: 'eth0/3', acctstarttime: at(6),
    acctupdatetime: at(78), acctstoptime: at(78), acctsessiontime: 72 * 3600, acctinputoctets: String(3n * GiB4 + 7n), acctoutputoctets: '1000001' },
  { acctsessionid: 'x1', acctuniqueid: 'u-x1', username: 'erin', nasipaddress: '192.0.2.1', acctstarttime: null, acctupdatetime: null, acctstoptime: null },
];

const sourceServer = process.env.RADTRACK_TEST_SOURCE_SERVER_URL;

describe('import radacct (FreeRADIUS 3.2 schema as the source)', function () {
  let name = '';
  let url = '';
  let source: Knex;

  before(function () {
    if (!sourceServer) this.skip(); // needs a PostgreSQL server for the source: DATABASE_URL=… npm test
  });

  beforeEach(async () => {
    await truncateAll();
    name = `radacct_src_${randomBytes(4).toString('hex')}`;
    const admin = createKnex(sourceServer!, 1);
    await admin.raw(`CREATE DATABASE ${name}`);
    await admin.destroy();
    const u = new URL(sourceServer!);
    u.pathname = '/' + name;
    url = u.toString();
    source = createKnex(url, 1);
    await source.raw(SCHEMA);
    await fill(ROWS);
  });

  afterEach(async () => {
    await source?.destroy();
    const admin = createKnex(sourceServer!, 1);
    await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.destroy();
  });

  async function fill(rows: Row[]): Promise<void> {
    for (const r of rows) await source('radacct').insert(r);
  }

  const counts = async () => {
    const { rows } = await knex().raw(
      `SELECT (SELECT count(*)::int FROM sessions) AS sessions, (SELECT count(*)::int FROM accounts) AS accounts,
              (SELECT count(*)::int FROM nas) AS nas, (SELECT count(*)::int FROM ports) AS ports,
              (SELECT count(*)::int FROM usage_deltas) AS deltas, (SELECT coalesce(sum(input_octets), 0)::text FROM usage_hourly) AS hourly_in,
              (SELECT count(*)::int FROM unknown_sources) AS unknown, (SELECT count(*)::int FROM radacct_imported) AS mapped`,
    );
    return rows[0];
  };

  it('imports open and closed sessions, accounts, NASes without a secret and usage; a second run changes nothing', async () => {
    const first = await radtrackJson<Record<string, unknown>>(['import', 'radacct', '--from', url, '--register-nas']);
    expect(first).to.include({ rows_read: 7, imported: 6, imported_open: 1, imported_closed: 5, already_imported: 0, skipped_bad_times: 1,
      skipped_unregistered_nas: 0, accounts_created: 5, dry_run: false, resumed_after: null, source: sourceKey(url) });
    expect(first.nas_registered).to.deep.equal(['192.0.2.1', '192.0.2.2']);

    const sessions = await knex().raw(
      `SELECT a.username, host(n.address) AS nas, s.acct_session_id, s.logout IS NULL AS open, s.input_octets, s.output_octets, s.session_time,
              s.flags, s.terminate_cause, p.port_key FROM sessions s JOIN accounts a ON a.id = s.account_id JOIN nas n ON n.id = s.nas_id
              LEFT JOIN ports p ON p.id = s.port_id ORDER BY s.login, n.address`,
    );
    const byId = Object.fromEntries(sessions.rows.map((r: { acct_session_id: string; nas: string }) => [`${r.acct_session_id}@${r.nas}`, r]));
    expect(byId['a1@192.0.2.1']).to.include({ username: 'alice', open: false, input_octets: 5n * GiB4 + 10n, output_octets: 3000n, session_time: 7200n,
      terminate_cause: 'User-Request', port_key: 'eth0/1' });
    expect(byId['a1@192.0.2.1'].flags).to.deep.equal(['imported']);
    expect(byId['b1@192.0.2.1']).to.include({ username: 'bob', open: true, input_octets: 1000n, port_key: '7' });
    // NULLs: no User-Name books to the empty account, as the listener does; no octets are 0; no port.
    expect(byId['n1@192.0.2.2']).to.include({ username: '', input_octets: 0n, output_octets: 0n, session_time: 1800n, port_key: null });
    expect(byId['dup@192.0.2.1']).to.include({ username: 'carol', input_octets: 100n });
    expect(byId['dup@192.0.2.2']).to.include({ username: 'carol', input_octets: 300n });

    const nas = await knex().raw(`SELECT host(address) AS address, secret FROM nas ORDER BY address`);
    expect(nas.rows).to.deep.equal([{ address: '192.0.2.1', secret: null }, { address: '192.0.2.2', secret: null }]);
    const listed = await radtrackJson<{ address: string; has_secret: boolean; name: string }[]>(['nas', 'list']);
    expect(listed.map((n) => [n.address, n.has_secret, n.name])).to.deep.equal([['192.0.2.1', false, 'imported from radacct'], ['192.0.2.2', false, 'imported from radacct']]);

    // The radacct view gives back the source's own values, also the columns radtrack does not model.
    const view = await knex().raw(`SELECT * FROM radacct WHERE acctuniqueid = 'u-a1'`);
    expect(view.rows[0]).to.include({ acctsessionid: 'a1', username: 'alice', realm: 'example.net', nasporttype: 'Ethernet', class: 'gold',
      framedipv6address: '2001:db8::1', framedipaddress: '100.64.0.1', acctinputoctets: 5n * GiB4 + 10n, nasportid: 'eth0/1' });
    const open = await knex().raw(`SELECT username FROM radacct WHERE acctstoptime IS NULL`);
    expect(open.rows).to.deep.equal([{ username: 'bob' }]);

    // Usage: each session's octets exactly, spread over it; the 3-day session in pieces of a day, all in the hourly rollups.
    const deltas = await knex().raw(`SELECT a.username, sum(d.input_octets)::bigint AS i, sum(d.output_octets)::bigint AS o, count(*)::int AS n,
                                            max(d.t1 - d.t0) <= interval '1 day' AS short
                                       FROM usage_deltas d JOIN accounts a ON a.id = d.account_id GROUP BY a.username ORDER BY a.username`);
    const dave = deltas.rows.find((r: { username: string }) => r.username === 'dave');
    expect(dave).to.include({ i: 3n * GiB4 + 7n, o: 1000001n, n: 3, short: true });
    const usage = await radtrackJson<{ username: string; input_octets: number; output_octets: number; seconds: number }[]>(
      ['report', 'usage', '--from', at(-1).toISOString(), '--to', at(100).toISOString()]);
    const of = (u: string) => usage.find((r) => r.username === u)!;
    expect(of('alice')).to.include({ input_octets: Number(5n * GiB4 + 10n), output_octets: 3000, seconds: 7200 });
    expect(of('dave')).to.include({ input_octets: Number(3n * GiB4 + 7n), output_octets: 1000001, seconds: 72 * 3600 });
    expect(of('carol')).to.include({ input_octets: 400, output_octets: 600 });
    // Half of dave's octets fall in the first 36 hours, to the octet (floor of the even spread).
    const half = await radtrackJson<{ username: string; input_octets: number }[]>(['report', 'usage', '--from', at(6).toISOString(), '--to', at(42).toISOString(), '--account', 'dave']);
    expect(half[0]!.input_octets).to.equal(Number((3n * GiB4 + 7n) / 2n));

    const before = await counts();
    const second = await radtrackJson<Record<string, unknown>>(['import', 'radacct', '--from', url, '--register-nas']);
    expect(second).to.include({ rows_read: 7, imported: 0, already_imported: 6, accounts_created: 0 });
    expect(second.nas_registered).to.deep.equal([]);
    expect(await counts()).to.deep.equal(before);
  });

  it('without --register-nas skips the rows of unregistered NASes and lists them as unknown; after nas add, a new run imports them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radtrack-secret-'));
    writeFileSync(join(dir, 's'), 'nas-1-secret\n', { mode: 0o600 });
    await radtrackJson(['nas', 'add', '192.0.2.1', '--secret-file', join(dir, 's')]);
    const first = await radtrackJson<Record<string, unknown>>(['import', 'radacct', '--from', url]);
    expect(first).to.include({ imported: 4, skipped_unregistered_nas: 2 });
    expect(first.nas_unknown).to.deep.equal(['192.0.2.2']);
    const unknown = await radtrackJson<{ address: string; count: number; first_seen: string }[]>(['nas', 'unknown']);
    expect(unknown).to.have.length(1);
    expect(unknown[0]).to.include({ address: '192.0.2.2', count: 0, first_seen: at(1).toISOString().replace('.000Z', 'Z') });
    const again = await radtrackJson<Record<string, unknown>>(['import', 'radacct', '--from', url]);
    expect(again).to.include({ imported: 0, already_imported: 4, skipped_unregistered_nas: 2 });
    expect((await counts()).unknown).to.equal(1);

    await radtrackJson(['nas', 'add', '192.0.2.2', '--secret-file', join(dir, 's')]);
    const third = await radtrackJson<Record<string, unknown>>(['import', 'radacct', '--from', url]);
    expect(third).to.include({ imported: 2, already_imported: 4, skipped_unregistered_nas: 0 });
    expect((await counts()).sessions).to.equal(6);
  });

  it('--dry-run says what it would import and changes nothing', async () => {
    const r = await radtrack(['import', 'radacct', '--from', url, '--register-nas', '--dry-run']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^would import 6 sessions \(1 open, 5 closed\) from postgres:\/\/.*7 radacct rows read/);
    expect(r.stdout).to.match(/NASes to register without a secret .*: 192\.0\.2\.1, 192\.0\.2\.2/);
    const c = await counts();
    expect(c).to.include({ sessions: 0, accounts: 0, nas: 0, deltas: 0, unknown: 0, mapped: 0 });
    expect((await knex().raw(`SELECT count(*)::int AS n FROM radacct_import_progress`)).rows[0].n).to.equal(0);
  });

  it('resumes after the last committed page when a run is interrupted', async () => {
    const opts = { source: sourceKey(url), registerNas: true, dryRun: false, pageSize: 2 };
    let pages = 0;
    const err = await importRadacct(knex(), source, { ...opts, onPage: () => {
      if (++pages === 2) throw new Error('interrupted');
    } }).catch((e: Error) => e);
    expect((err as Error).message).to.equal('interrupted');
    const progress = await knex()('radacct_import_progress').first();
    expect(progress).to.include({ last_radacctid: 4n, finished: false });
    expect((await counts()).sessions).to.equal(4);

    const resumed = await importRadacct(knex(), source, opts);
    expect(resumed).to.include({ resumed_after: 4n, rows_read: 3, imported: 2, skipped_bad_times: 1 });
    expect((await counts()).sessions).to.equal(6);
    expect(await knex()('radacct_import_progress').first()).to.include({ last_radacctid: 7n, finished: true });
    // A finished run starts the next from the beginning: it only finds rows added since.
    await fill([{ acctsessionid: 'f1', acctuniqueid: 'u-f1', username: 'frank', nasipaddress: '192.0.2.1', acctstarttime: at(7), acctstoptime: at(8) }]);
    const next = await importRadacct(knex(), source, opts);
    expect(next).to.include({ resumed_after: null, rows_read: 8, imported: 1, already_imported: 6 });
  });

  it('imports both rows of one acctuniqueid on two NASes when the source dropped its unique constraint (keyed by radacctid)', async () => {
    await source.raw(`ALTER TABLE radacct DROP CONSTRAINT radacct_acctuniqueid_key`);
    await fill([{ acctsessionid: 'z', acctuniqueid: 'u-a1', username: 'zoe', nasipaddress: '192.0.2.2', acctstarttime: at(9), acctstoptime: at(10) }]);
    const r = await radtrackJson<Record<string, unknown>>(['import', 'radacct', '--from', url, '--register-nas']);
    expect(r).to.include({ imported: 7 });
    const { rows } = await knex().raw(`SELECT username, host(nasipaddress) AS nas FROM radacct WHERE acctuniqueid = 'u-a1' ORDER BY username`);
    expect(rows).to.deep.equal([{ username: 'alice', nas: '192.0.2.1' }, { username: 'zoe', nas: '192.0.2.2' }]);
  });

  it('an imported open session is continued by the NAS through the listener, and closed by its Stop', async () => {
    await insertNas(knex(), '127.0.0.1');
    const login = Math.floor(now / 1000) - 1800;
    await fill([{ acctsessionid: 'live-1', acctuniqueid: 'u-live-1', username: 'gina', nasipaddress: '127.0.0.1', nasportid: '5',
      acctstarttime: new Date(login * 1000), acctupdatetime: new Date((login + 600) * 1000), acctsessiontime: 600,
      acctinputoctets: '5000', acctoutputoctets: '6000' }]);
    expect(await importRadacct(knex(), source, { source: sourceKey(url), registerNas: false, dryRun: false })).to.include({ imported_open: 1 });
    const server = await startTestServer();
    try {
      const base = { sessionId: 'live-1', userName: 'gina', nasPort: 5 };
      expect(await server.client.request(accountingRequest({ ...base, statusType: 'Interim-Update', eventTimestamp: login + 900, sessionTime: 900,
        inputOctets: 9000, outputOctets: 9500 }, SECRET))).to.not.equal(null);
      expect(await server.client.request(accountingRequest({ ...base, statusType: 'Stop', eventTimestamp: login + 1200, sessionTime: 1200,
        inputOctets: 12000, outputOctets: 13000, terminateCause: 'User-Request' }, SECRET))).to.not.equal(null);
    } finally {
      await server.stop();
    }
    const rows = await knex()('sessions').where({ acct_session_id: 'live-1' }).select('*');
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ input_octets: 12000n, output_octets: 13000n, session_time: 1200n, close_reason: 'stop', interim_count: 1 });
    expect(rows[0].flags).to.deep.equal(['imported']);
    const used = await knex().raw(`SELECT sum(input_octets)::bigint AS i FROM usage_deltas WHERE session_id = ?`, [rows[0].id]);
    expect(used.rows[0].i).to.equal(12000n);
  });

  it('the radacct view has exactly the columns and types of the stock table', async () => {
    const cols = async (k: Knex) => (await k.raw(`SELECT column_name, data_type FROM information_schema.columns
      WHERE table_name = 'radacct' AND table_schema = current_schema() ORDER BY ordinal_position`)).rows;
    expect(await cols(knex())).to.deep.equal(await cols(source));
  });

  it('refuses bad arguments with one line and exit 2, and never prints the source password', async () => {
    expectFailure(await radtrack(['import', 'radacct']), 2, /Missing required argument: from/);
    expectFailure(await radtrack(['import', 'radacct', '--from', 'mysql://u@h/radius']), 2, /not a PostgreSQL URL/);
    expectFailure(await radtrack(['import', 'radacct', '--from', 'postgres://u@h']), 2, /names no database/);
    expectFailure(await radtrack(['import', 'radacct', '--from', url, '--page-size', '0']), 2, /--page-size/);
    const u = new URL(sourceServer!);
    u.username = 'nobody_here';
    u.password = 'hunter2-Secret';
    u.pathname = '/no_such_db_x';
    const r = await radtrack(['import', 'radacct', '--from', u.toString()]);
    expectFailure(r, 1, /--from: cannot read postgres:\/\//);
    expect(r.stderr + r.stdout).to.not.include('hunter2-Secret');
    // A database without radacct: one line saying so.
    await source.raw('DROP TABLE radacct');
    expectFailure(await radtrack(['import', 'radacct', '--from', url]), 1, /no FreeRADIUS radacct table/);
  });
});

describe('a NAS without a secret (registered by an import)', () => {
  beforeEach(() => truncateAll());

  it('is ignored by the listener until it has a secret', async () => {
    await registerNasWithoutSecret(knex(), ['127.0.0.1'], 'imported from radacct');
    const server = await startTestServer();
    try {
      const start = (id: string) => accountingRequest({ statusType: 'Start', sessionId: id, userName: 'alice', nasPort: 1 }, SECRET);
      expect(await server.client.request(start('s1'), 1000)).to.equal(null);
      await knex()('nas').update({ secret: SECRET, updated_at: knex().fn.now() });
      await server.listener.reloadNas();
      expect(await server.client.request(start('s2'), 3000)).to.not.equal(null);
    } finally {
      await server.stop();
    }
  });
});
