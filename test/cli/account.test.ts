import { expect } from 'chai';
import { testKnex, truncateAll } from '../helpers/db.ts';
import { expectFailure, radtrack, radtrackEach, radtrackJson } from '../helpers/cli.ts';
import { insertAccount, insertNas, recordSession } from '../helpers/fixtures.ts';

describe('cli: account', () => {
  beforeEach(() => truncateAll());

  it('add provisions with quotas; add again provisions an auto-created account and keeps quotas not given', async () => {
    const knex = testKnex();
    await insertAccount(knex, 'seen-first', { dataQuotaBytes: 5_000_000_000n }); // as the listener creates it
    const alice = await radtrackJson<Record<string, unknown>>(['account', 'add', 'alice', '--time-quota', '100h', '--data-quota', '10GB']);
    expect(alice).to.include({ username: 'alice', provisioned: true, time_quota_seconds: 360_000, data_quota_bytes: 10_000_000_000, sessions: 0, created: true });
    const seen = await radtrack(['account', 'add', 'seen-first', '--time-quota', '90m']);
    expect(seen.stdout).to.equal('updated account "seen-first" (provisioned; time quota 1:30:00, data quota 5.00 GB)\n');
    const row = await knex('accounts').where({ username: 'seen-first' }).first();
    expect(row).to.include({ provisioned: true, time_quota_seconds: 5400n, data_quota_bytes: 5_000_000_000n });
  });

  it('list shows quotas and session counts in json, csv and table', async () => {
    const knex = testKnex();
    const nasId = await insertNas(knex, '192.0.2.1');
    const bob = await insertAccount(knex, 'bob', { provisioned: true, dataQuotaBytes: 2n ** 40n });
    await insertAccount(knex, 'carol, "the admin"');
    await recordSession(knex, { nasId, accountId: bob, acctSessionId: 'b1', login: new Date('2026-11-01T00:00:00Z'), stop: { at: new Date('2026-11-01T02:00:00Z'), input: 0n, output: 0n } });
    await recordSession(knex, { nasId, accountId: bob, acctSessionId: 'b2', login: new Date('2026-11-02T00:00:00Z') });
    const [json, csv, table] = await radtrackEach([
      ['account', 'list', '--format', 'json'],
      ['account', 'list', '--format', 'csv'],
      ['account', 'list'],
    ]);
    const rows = JSON.parse(json!.stdout) as Record<string, unknown>[];
    expect(rows.map(({ created_at, ...r }) => r)).to.deep.equal([
      { username: 'bob', provisioned: true, time_quota_seconds: null, data_quota_bytes: 2 ** 40, cycle_day: null, cycle_tz: null, sessions: 2, open_sessions: 1 },
      { username: 'carol, "the admin"', provisioned: false, time_quota_seconds: null, data_quota_bytes: null, cycle_day: null, cycle_tz: null, sessions: 0, open_sessions: 0 },
    ]);
    const lines = csv!.stdout.split('\n');
    expect(lines[0]).to.equal('username,provisioned,time_quota_seconds,data_quota_bytes,cycle_day,cycle_tz,sessions,open_sessions,created_at');
    expect(lines[2]).to.match(/^"carol, ""the admin""",false,,,,,0,0,\d{4}-/);
    expect(table!.stdout).to.match(/^username\s+provisioned\s+time_quota\s+data_quota\s+cycle_day\s+cycle_tz\s+sessions\s+open\n/);
    expect(table!.stdout).to.match(/bob\s+true\s+none\s+1\.10 TB\s+month\s+-\s+2\s+1\n/);
  });

  it('delete is refused (exit 3) while sessions reference the account, and works once they are gone', async () => {
    const knex = testKnex();
    const nasId = await insertNas(knex, '192.0.2.1');
    const alice = await insertAccount(knex, 'alice');
    await recordSession(knex, { nasId, accountId: alice, acctSessionId: 'a1', login: new Date('2026-10-01T00:00:00Z'), stop: { at: new Date('2026-10-01T01:00:00Z'), input: 0n, output: 0n } });
    await recordSession(knex, { nasId, accountId: alice, acctSessionId: 'a2', login: new Date('2026-11-01T00:00:00Z') });
    const refused = await radtrack(['account', 'delete', 'alice']);
    expectFailure(refused, 3, /^radtrack: account "alice" has 2 sessions \(1 open\); it cannot be deleted while sessions reference it\. Run "radtrack purge --before <date>"/);
    expect(await knex('accounts').where({ username: 'alice' }).first()).to.not.equal(undefined);

    await knex('sessions').delete();
    expect(await radtrackJson(['account', 'delete', 'alice'])).to.deep.equal({ username: 'alice', deleted: true });
    expect(await knex('accounts').where({ username: 'alice' }).first()).to.equal(undefined);
  });

  it('delete of an unknown account fails (1); bad quotas are usage errors (2)', async () => {
    const [unknown, badTime, badData, missing] = await Promise.all([
      radtrack(['account', 'delete', 'nobody']),
      radtrack(['account', 'add', 'x', '--time-quota', '3 fortnights']),
      radtrack(['account', 'add', 'x', '--data-quota', '10XB']),
      radtrack(['account', 'add']),
    ]);
    expectFailure(unknown, 1, /no account "nobody"/);
    expectFailure(badTime, 2, /--time-quota: "3 fortnights" is not a duration/);
    expectFailure(badData, 2, /--data-quota: "10XB" is not a size/);
    expectFailure(missing, 2, /run "radtrack account --help"/);
  });

  it('a billing cycle: add and set take --cycle-day 1-28 and --cycle-tz, and keep what is not given', async () => {
    const knex = testKnex();
    const added = await radtrackJson<Record<string, unknown>>(['account', 'add', 'dora', '--data-quota', '10GB', '--cycle-day', '15', '--cycle-tz', 'Europe/Berlin']);
    expect(added).to.include({ username: 'dora', data_quota_bytes: 10_000_000_000, cycle_day: 15, cycle_tz: 'Europe/Berlin', created: true });
    const [again, set, table] = await radtrackEach([
      ['account', 'add', 'dora', '--time-quota', '5h', '--format', 'json'],
      ['account', 'set', 'dora', '--cycle-day', '28', '--format', 'json'],
      ['account', 'set', 'dora', '--cycle-tz', 'utc'],
    ]);
    expect(JSON.parse(again!.stdout)).to.include({ time_quota_seconds: 18_000, cycle_day: 15, cycle_tz: 'Europe/Berlin', created: false });
    expect(JSON.parse(set!.stdout)).to.include({ username: 'dora', provisioned: true, time_quota_seconds: 18_000, data_quota_bytes: 10_000_000_000, cycle_day: 28, cycle_tz: 'Europe/Berlin' });
    expect(table!.stdout).to.equal('updated account "dora" (time quota 5:00:00, data quota 10.0 GB, billing cycle from day 28 in UTC)\n');
    expect(await knex('accounts').where({ username: 'dora' }).first()).to.include({ cycle_day: 28, cycle_tz: 'UTC' });
    // set leaves an auto-created account unprovisioned
    await insertAccount(knex, 'eve');
    expect(await radtrackJson(['account', 'set', 'eve', '--cycle-day', '1'])).to.include({ provisioned: false, cycle_day: 1, cycle_tz: null });
  });

  it('bad cycle values are one readable line, exit 2; set of an unknown account is 1, set of nothing is 2', async () => {
    const [day29, day0, notDay, zone, unknown, nothing] = await radtrackEach([
      ['account', 'add', 'x', '--cycle-day', '29'],
      ['account', 'set', 'x', '--cycle-day', '0'],
      ['account', 'add', 'x', '--cycle-day', 'first'],
      ['account', 'add', 'x', '--cycle-tz', 'Mars/Olympus'],
      ['account', 'set', 'nobody', '--cycle-day', '3'],
      ['account', 'set', 'x'],
    ]);
    expectFailure(day29!, 2, /^radtrack: --cycle-day: "29" is not a day from 1 to 28; .*use 28 or 1/);
    expectFailure(day0!, 2, /--cycle-day: "0" is not a day from 1 to 28/);
    expectFailure(notDay!, 2, /--cycle-day: "first" is not a day/);
    expectFailure(zone!, 2, /--cycle-tz: "Mars\/Olympus" is not a time zone/);
    expectFailure(unknown!, 1, /no account "nobody"/);
    expectFailure(nothing!, 2, /nothing to change/);
    expect((await testKnex()('accounts').select('username')).length).to.equal(0);
  });

  it('usernames that look like numbers stay strings', async () => {
    const acct = await radtrackJson<{ username: string }>(['account', 'add', '007']);
    expect(acct.username).to.equal('007');
  });
});
