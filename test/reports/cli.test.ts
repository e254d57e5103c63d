// `radtrack report …` through the real executable: formats, exact integers in JSON, one-line usage errors.
import { expect } from 'chai';
import { DateTime } from 'luxon';
import { cycleWindow } from '../../src/reports/billing-cycle.ts';
import { currentMonth, periodHours } from '../../src/reports/period.ts';
import { expectFailure, radtrack, radtrackJson } from '../helpers/cli.ts';
import { testKnex, truncateAll } from '../helpers/db.ts';
import { at, insertAccount, insertNas, recordSession } from '../helpers/fixtures.ts';

describe('radtrack report (CLI)', () => {
  const BIG = 2n ** 60n + 3n; // past 2^53: must print as a bare, exact integer

  before(async () => {
    await truncateAll();
    const knex = testKnex();
    const nas = await insertNas(knex, '192.0.2.1', { lastSeen: new Date() });
    const alice = await insertAccount(knex, 'alice', { dataQuotaBytes: 1000n });
    const bob = await insertAccount(knex, 'bob');
    // alice: all of October 2026 in Berlin (745 h), 2^60 + 3 octets in, 10.0.0.5 until she logs out.
    await recordSession(knex, {
      nasId: nas, accountId: alice, framedIp: '10.0.0.5', port: '1', flags: ['port_conflict'],
      login: at('2026-09-30T22:00:00Z'), stop: { at: at('2026-10-31T23:00:00Z'), input: BIG, output: 7n },
    });
    await recordSession(knex, { nasId: nas, accountId: bob, framedIp: '10.0.0.5', login: at('2026-10-31T23:00:00Z') });
  });

  it('usage --period --tz: a 745 h month, octets as exact JSON integers', async () => {
    const r = await radtrack(['report', 'usage', '--period', '2026-10', '--tz', 'Europe/Berlin', '--account', 'alice', '--format', 'json']);
    expect([r.code, r.stderr]).to.deep.equal([0, '']);
    expect(r.stdout).to.contain(`"input_octets": ${BIG}`);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(Object.keys(rows[0]!)).to.deep.equal(['username', 'sessions', 'seconds', 'input_octets', 'output_octets']);
    expect(rows[0]).to.deep.include({ username: 'alice', sessions: 1, seconds: 745 * 3600, output_octets: 7 });
  });

  it('usage --from/--to as csv, and as a table with the period', async () => {
    const csv = await radtrack(['report', 'usage', '--from', '2026-10-01', '--to', '2026-10-02', '--format', 'csv']);
    expect(csv.stdout.split('\n')[0]).to.equal('username,sessions,seconds,input_octets,output_octets');
    expect(csv.stdout).to.contain('alice,1,86400,');
    const table = await radtrack(['report', 'usage', '--period', '2026-03', '--tz', 'Europe/Berlin', '--format', 'table']);
    expect(table.stdout).to.match(/^period 2026-03-01T00:00:00\+01:00 … 2026-04-01T00:00:00\+02:00 \(743 h\)\nno usage in this period\n$/);
  });

  it('who --ip --at: the holder at the instant, as cli.md session objects', async () => {
    const [s] = await radtrackJson<Record<string, unknown>[]>(['report', 'who', '--ip', '10.0.0.5', '--at', '2026-10-31T22:59:59Z']);
    expect(s).to.include({ username: 'alice', status: 'closed', nas_ip: '192.0.2.1', logout: '2026-10-31T23:00:00Z', input_octets: Number(BIG) });
    const next = await radtrackJson<{ username: string }[]>(['report', 'who', '--ip', '10.0.0.5', '--at', '2026-10-31T23:00:00Z']);
    expect(next.map((x) => x.username)).to.deep.equal(['bob']);
  });

  it('online, conflicts, nas, top and quota answer in json', async () => {
    const online = await radtrackJson<{ count: number; sessions: { username: string }[] }>(['report', 'online', '--nas', '192.0.2.1']);
    expect([online.count, online.sessions.map((s) => s.username)]).to.deep.equal([1, ['bob']]);
    expect((await radtrackJson<unknown[]>(['report', 'conflicts'])).length).to.equal(1);
    expect((await radtrackJson<{ address: string }[]>(['report', 'nas'])).map((n) => n.address)).to.deep.equal(['192.0.2.1']);
    const top = await radtrackJson<{ username: string }[]>(['report', 'top', '--period', '2026-10', '--limit', '1', '--by', 'seconds']);
    expect(top.map((t) => t.username)).to.deep.equal(['alice']);
    const quota = await radtrackJson<{ username: string; data_share: number }[]>(['report', 'quota', '--period', '2026-10']);
    expect(quota.map((q) => q.username)).to.deep.equal(['alice']);
  });

  it('bad month, zone, bounds, flag or address: one readable line, exit 2', async () => {
    expectFailure(await radtrack(['report', 'usage', '--period', '2026-13']), 2, /--period: "2026-13" is not a month/);
    expectFailure(await radtrack(['report', 'usage', '--period', '2026-10', '--tz', 'Mars/Olympus']), 2, /--tz/);
    expectFailure(await radtrack(['report', 'usage', '--from', '2026-10-02', '--to', '2026-10-01']), 2, /after its start/);
    expectFailure(await radtrack(['report', 'usage', '--from', 'yesterday', '--to', '2026-10-01']), 2, /--from: "yesterday" is not a date/);
    expectFailure(await radtrack(['report', 'usage', '--period', '2026-10', '--from', '2026-10-01']), 2);
    expectFailure(await radtrack(['report', 'top', '--by', 'bytes']), 2, /by/);
    expectFailure(await radtrack(['report', 'quota', '--threshold', '-1']), 2, /--threshold/);
    expectFailure(await radtrack(['report', 'who', '--ip', '10.0.0.300']), 2, /--ip/);
    expectFailure(await radtrack(['report', 'usage', '--account', 'nobody']), 1, /no account "nobody"/);
  });
});

describe('radtrack report (CLI): billing cycles', () => {
  // Through the real executable, so "now" is the clock's: the anchor day is chosen so that the current cycle began
  // 2 to 6 days ago, and each expectation is computed from the same window function the report uses.
  const now = new Date();
  const day = ((now.getUTCDate() - 4 + 28) % 28) + 1;
  const tokyo = { day, zone: 'Asia/Tokyo' };
  const cur = cycleWindow(tokyo, now);
  const prev = cycleWindow(tokyo, now, 'previous');
  const month = currentMonth(now, 'UTC');
  const hour = 3_600_000;
  const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

  before(async () => {
    await truncateAll();
    const knex = testKnex();
    const nas = await insertNas(knex, '192.0.2.1');
    const carol = await insertAccount(knex, 'carol', { dataQuotaBytes: 1000n, cycleDay: day, cycleTz: 'Asia/Tokyo' });
    const dave = await insertAccount(knex, 'dave', { dataQuotaBytes: 1000n });
    // carol: 2 h and 600 B inside the previous cycle, then 2 h and 1000 B across its end (half on each side).
    await recordSession(knex, { nasId: nas, accountId: carol, login: plus(prev.from, hour), stop: { at: plus(prev.from, 3 * hour), input: 600n, output: 0n } });
    await recordSession(knex, { nasId: nas, accountId: carol, login: plus(cur.from, -hour), stop: { at: plus(cur.from, hour), input: 1000n, output: 0n } });
    // dave: no cycle, so the calendar month; 800 B in it.
    const daveEnd = new Date(Math.min(month.from.getTime() + hour, now.getTime() - 1000));
    await recordSession(knex, { nasId: nas, accountId: dave, login: month.from, stop: { at: daveEnd, input: 800n, output: 0n } });
  });

  it("usage --account --cycle current|previous: that account's own cycle, in its zone", async () => {
    const [previous] = await radtrackJson<Record<string, unknown>[]>(['report', 'usage', '--account', 'carol', '--cycle', 'previous']);
    expect(previous).to.deep.equal({ username: 'carol', sessions: 2, seconds: 3 * 3600, input_octets: 1100, output_octets: 0 });
    const [current] = await radtrackJson<Record<string, unknown>[]>(['report', 'usage', '--account', 'carol', '--cycle', 'current']);
    expect(current).to.deep.equal({ username: 'carol', sessions: 1, seconds: 3600, input_octets: 500, output_octets: 0 });
    const table = await radtrack(['report', 'usage', '--account', 'carol', '--cycle', 'previous']);
    const local = (d: Date) => DateTime.fromJSDate(d, { zone: 'Asia/Tokyo' }).toFormat("yyyy-MM-dd'T'HH:mm:ss'+09:00'");
    expect(table.stdout.split('\n')[0]).to.equal(`period ${local(prev.from)} … ${local(prev.to)} (${periodHours(prev)} h)`);
    // Without a cycle day, --cycle is the calendar month (in --tz).
    const [daveNow] = await radtrackJson<Record<string, unknown>[]>(['report', 'usage', '--account', 'dave', '--cycle', 'current']);
    expect(daveNow).to.include({ username: 'dave', input_octets: 800 });
    const [daveBefore] = await radtrackJson<Record<string, unknown>[]>(['report', 'usage', '--account', 'dave', '--cycle', 'previous']);
    expect(daveBefore).to.include({ username: 'dave', sessions: 0, input_octets: 0 });
  });

  it("quota: each account's current cycle by default; one period for all when it is given", async () => {
    const rows = await radtrackJson<Record<string, unknown>[]>(['report', 'quota', '--threshold', '0.5']);
    expect(rows.map((r) => [r.username, r.octets, r.data_share, r.period_from, r.period_to])).to.deep.equal([
      ['dave', 800, 0.8, month.from.toISOString().replace('.000', ''), month.to.toISOString().replace('.000', '')],
      ['carol', 500, 0.5, cur.from.toISOString().replace('.000', ''), cur.to.toISOString().replace('.000', '')],
    ]);
    const given = await radtrackJson<Record<string, unknown>[]>(['report', 'quota', '--threshold', '1', '--from', prev.from.toISOString(), '--to', cur.from.toISOString()]);
    expect(given.map((r) => [r.username, r.octets, r.data_share])).to.deep.equal([['carol', 1100, 1.1]]);
    const table = await radtrack(['report', 'quota', '--threshold', '0.5']);
    expect(table.stdout.split('\n')[0]).to.equal("each account's current billing cycle (calendar month in UTC without one), threshold 50 %");
  });

  it('--cycle needs --account and refuses --period, --from and --to (exit 2); an unknown account is 1', async () => {
    expectFailure(await radtrack(['report', 'usage', '--cycle', 'current']), 2, /--cycle goes with --account/);
    expectFailure(await radtrack(['report', 'usage', '--account', 'carol', '--cycle', 'current', '--period', '2026-10']), 2, /cycle/);
    expectFailure(await radtrack(['report', 'usage', '--account', 'carol', '--cycle', 'previous', '--from', '2026-10-01', '--to', '2026-10-02']), 2, /cycle/);
    expectFailure(await radtrack(['report', 'usage', '--account', 'carol', '--cycle', 'last']), 2, /cycle/);
    expectFailure(await radtrack(['report', 'usage', '--account', 'nobody', '--cycle', 'current']), 1, /no account "nobody"/);
  });
});
