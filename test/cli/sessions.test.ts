import { expect } from 'chai';
import { testKnex } from '../helpers/db.ts';
import { expectFailure, radtrack, radtrackJson } from '../helpers/cli.ts';
import { cleanDatabase, recordSession } from '../helpers/fixtures.ts';

interface Session {
  id: number;
  username: string;
  acct_session_id: string;
  status: string;
}

const ids = (rows: Session[]) => rows.map((r) => r.acct_session_id);

describe('cli: sessions', () => {
  before(async () => {
    const knex = testKnex();
    const [[nas1, nas2], { alice, bob }] = await cleanDatabase(['192.0.2.1', '2001:db8::2'], ['alice', 'bob']);
    // Timeline (November 2026): a1 [1st 10:00, 12:00), a2 [2nd 10:00, open), b1 [1st 11:00, 3rd 09:00), b2 [3rd 10:00, open)
    await recordSession(knex, { nasId: nas1, accountId: alice, acctSessionId: 'a1', port: 'eth0/1', login: new Date('2026-11-01T10:00:00Z'), stop: { at: new Date('2026-11-01T12:00:00Z'), input: 2n ** 53n + 1n, output: 5n },
      framedIp: '100.64.0.1', fields: { callingStationId: 'aa:bb, "cc"', terminateCause: 'User-Request', interimCount: 3 } });
    await recordSession(knex, { nasId: nas1, accountId: alice, acctSessionId: 'a2', port: 'eth0/1', login: new Date('2026-11-02T10:00:00Z'), framedIp: '100.64.0.2', flags: ['missing_start', 'port_conflict'] });
    await recordSession(knex, { nasId: nas2, accountId: bob, acctSessionId: 'b1', login: new Date('2026-11-01T11:00:00Z'), stop: { at: new Date('2026-11-03T09:00:00Z'), input: 0n, output: 0n }, framedIp: '100.64.0.1' });
    await recordSession(knex, { nasId: nas2, accountId: bob, acctSessionId: 'b2', login: new Date('2026-11-03T10:00:00Z') });
  });

  it('lists every field of a session, newest login first, with exact 64-bit counters', async () => {
    const r = await radtrack(['sessions', '--format', 'json']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('"input_octets": 9007199254740993'); // 2^53 + 1: a bare integer, exact
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows.map((s) => s.acct_session_id)).to.deep.equal(['b2', 'a2', 'b1', 'a1']);
    const { id, ...a1 } = rows[3]!;
    expect(id).to.be.a('number');
    expect(a1).to.deep.equal({
      username: 'alice',
      nas_ip: '192.0.2.1',
      nas_port: 'eth0/1',
      acct_session_id: 'a1',
      login: '2026-11-01T10:00:00Z',
      logout: '2026-11-01T12:00:00Z',
      last_update: '2026-11-01T12:00:00Z',
      status: 'closed',
      close_reason: 'stop',
      terminate_cause: 'User-Request',
      session_time: 7200,
      input_octets: 2 ** 53, // JSON.parse rounds; the text above is exact
      output_octets: 5,
      input_packets: 0,
      output_packets: 0,
      framed_ip: '100.64.0.1',
      calling_station_id: 'aa:bb, "cc"',
      called_station_id: null,
      logout_estimated: false,
      flags: [],
      interim_count: 3,
    });
    expect(rows[1]).to.include({ status: 'open', logout: null, close_reason: null, nas_port: 'eth0/1' });
    expect(rows[1]!.flags).to.deep.equal(['missing_start', 'port_conflict']);
    expect(rows[0]).to.include({ nas_ip: '2001:db8::2', nas_port: null });
  });

  it('filters: --open, --account, --nas, --ip, --since/--until (overlap), --limit', async () => {
    expect(ids(await radtrackJson<Session[]>(['sessions', '--open']))).to.deep.equal(['b2', 'a2']);
    expect(ids(await radtrackJson<Session[]>(['sessions', '--account', 'alice', '--limit', '1']))).to.deep.equal(['a2']);
    expect(ids(await radtrackJson<Session[]>(['sessions', '--nas', '2001:db8::2', '--ip', '100.64.0.1']))).to.deep.equal(['b1']);
    // Overlapping [Nov 1 12:00, Nov 2 10:00): a1 ends exactly at since (kept: logout >= since); a2 starts at until (left out)
    expect(ids(await radtrackJson<Session[]>(['sessions', '--since', '2026-11-01T12:00:00Z', '--until', '2026-11-02T10:00:00Z']))).to.deep.equal(['b1', 'a1']);
    expect(ids(await radtrackJson<Session[]>(['sessions', '--since', '2026-11-03']))).to.deep.equal(['b2', 'a2', 'b1']);
  });

  it('--since/--until without an offset are read in --tz, as every other time flag', async () => {
    // 14:00 in Kolkata is 08:30Z: b1 (logout 3rd 09:00Z) still ran then; at 14:00Z it had ended.
    const kolkata = await radtrackJson<Session[]>(['sessions', '--since', '2026-11-03T14:00', '--tz', 'Asia/Kolkata']);
    const utc = await radtrackJson<Session[]>(['sessions', '--since', '2026-11-03T14:00']);
    expect([ids(kolkata), ids(utc)]).to.deep.equal([['b2', 'a2', 'b1'], ['b2', 'a2']]);
    // 20:00 in Tokyo is 11:00Z, b1's login: b1 did not begin before it; at 20:00Z it had.
    const tokyo = await radtrackJson<Session[]>(['sessions', '--until', '2026-11-01T20:00', '--tz', 'Asia/Tokyo']);
    expect(ids(tokyo)).to.deep.equal(['a1']);
  });

  it('csv has a header and quotes; the table fits a terminal and shows times in --tz', async () => {
    const csv = await radtrack(['sessions', '--account', 'alice', '--format', 'csv']);
    const lines = csv.stdout.split('\n');
    expect(lines[0]).to.match(/^id,username,nas_ip,nas_port,acct_session_id,login,logout,last_update,status,close_reason,/);
    expect(lines[2]).to.contain(',"aa:bb, ""cc""",');
    expect(lines[1]).to.contain(',"missing_start,port_conflict",');
    const table = await radtrack(['sessions', '--account', 'alice', '--tz', 'Asia/Kolkata']);
    expect(table.stdout.split('\n')[0]).to.match(/^id\s+username\s+nas_ip\s+nas_port\s+login\s+logout\s+status\s+time\s+input\s+output\s+framed_ip\s+flags$/);
    expect(table.stdout).to.contain('2026-11-01T15:30:00+05:30');
    expect(table.stdout).to.match(/2:00:00\s+9\.01 PB\s+5 B/);
  });

  it('bad values are usage errors (exit 2) that name the flag', async () => {
    const [since, ip, limit, tz] = await Promise.all([
      radtrack(['sessions', '--since', '2026-13-01']),
      radtrack(['sessions', '--ip', '100.64.0']),
      radtrack(['sessions', '--limit', 'all']),
      radtrack(['sessions', '--tz', 'Europe/Atlantis']),
    ]);
    expectFailure(since, 2, /^radtrack: --since: "2026-13-01" is not a date; use ISO 8601 like 2026-11-20T10:00:00Z/);
    expectFailure(ip, 2, /--ip: "100\.64\.0" is not an IP address/);
    expectFailure(limit, 2, /--limit: "all" is not a positive whole number/);
    expectFailure(tz, 2, /--tz: "Europe\/Atlantis" is not a time zone/);
  });
});
