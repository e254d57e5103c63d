import { expect } from 'chai';
import { monthPeriod, periodHours, rangePeriod, type Period } from '../../src/reports/period.ts';
import { usageByAccount, type UsageRecord } from '../../src/reports/usage.ts';
import { testKnex } from '../helpers/db.ts';
import { at, cleanDatabase, recordSession } from '../helpers/fixtures.ts';

const FAR_FUTURE = at('2030-01-01T00:00:00Z');

async function usage(period: Period, opts: { now?: Date; accountId?: bigint } = {}): Promise<Omit<UsageRecord, 'account_id'>[]> {
  const rows = await usageByAccount(testKnex(), { period, now: opts.now ?? FAR_FUTURE, accountId: opts.accountId });
  return rows.map(({ account_id: _id, ...rest }) => rest);
}

const range = (from: string, to: string) => rangePeriod(at(from), at(to));

describe('report usage (accounting.md §9)', () => {
  let nas: bigint;
  let alice: bigint;
  let bob: bigint;

  beforeEach(async () => {
    [[nas], { alice, bob }] = await cleanDatabase(['192.0.2.1'], ['alice', 'bob']);
  });

  it('counts only the part of a session inside each month, octets spread over each interim interval', async () => {
    // 23:00 → 01:00 carries 7200 in / 3600 out, 01:00 → 02:00 carries 3600 in / 1800 out.
    await recordSession(testKnex(), {
      nasId: nas,
      accountId: alice,
      login: at('2026-09-30T23:00:00Z'),
      updates: [{ at: at('2026-10-01T01:00:00Z'), input: 7200n, output: 3600n }],
      stop: { at: at('2026-10-01T02:00:00Z'), input: 10800n, output: 5400n },
    });
    expect(await usage(monthPeriod('2026-09'))).to.deep.equal([
      { username: 'alice', sessions: 1, seconds: 3600, input_octets: 3600n, output_octets: 1800n },
    ]);
    expect(await usage(monthPeriod('2026-10'))).to.deep.equal([
      { username: 'alice', sessions: 1, seconds: 7200, input_octets: 7200n, output_octets: 3600n },
    ]);
  });

  it('weights each interim delta by its own interval', async () => {
    await recordSession(testKnex(), {
      nasId: nas,
      accountId: alice,
      login: at('2026-10-05T10:00:00Z'),
      updates: [
        { at: at('2026-10-05T10:20:00Z'), input: 1200n, output: 0n },
        { at: at('2026-10-05T11:20:00Z'), input: 4800n, output: 0n }, // 3600 over 60 min
      ],
      stop: { at: at('2026-10-05T11:30:00Z'), input: 5400n, output: 0n },
    });
    // [10:00, 11:00): 1200 + 40/60 of 3600 = 3600; [11:00, 12:00): 20/60 of 3600 + 600 = 1800.
    const first = await usage(range('2026-10-05T10:00:00Z', '2026-10-05T11:00:00Z'));
    const second = await usage(range('2026-10-05T11:00:00Z', '2026-10-05T12:00:00Z'));
    expect([first[0].seconds, first[0].input_octets]).to.deep.equal([3600, 3600n]);
    expect([second[0].seconds, second[0].input_octets]).to.deep.equal([1800, 1800n]);
    // Inside one hour, both bounds off the hour: [10:10, 10:50) = 10 min of 1200/20 min + 30 min of 3600/60 min.
    const inner = await usage(range('2026-10-05T10:10:00Z', '2026-10-05T10:50:00Z'));
    expect(inner).to.deep.equal([{ username: 'alice', sessions: 1, seconds: 2400, input_octets: 2400n, output_octets: 0n }]);
  });

  describe('months in a zone', () => {
    // One long delta from 2026-01-01 to 2027-01-01 (8760 h) carrying 1000 octets an hour: any whole-hour
    // period gets 1000 × its hours.
    beforeEach(async () => {
      await recordSession(testKnex(), {
        nasId: nas,
        accountId: alice,
        login: at('2026-01-01T00:00:00Z'),
        stop: { at: at('2027-01-01T00:00:00Z'), input: 8_760_000n, output: 0n },
      });
    });

    const cases: [string, string, number][] = [
      ['Europe/Berlin', '2026-03', 743],
      ['Europe/Berlin', '2026-10', 745],
      ['Europe/Berlin', '2026-11', 720],
      ['America/New_York', '2026-03', 743],
      ['America/New_York', '2026-11', 721],
      ['UTC', '2026-02', 672],
    ];
    for (const [zone, month, hours] of cases) {
      it(`${month} in ${zone} has ${hours} h`, async () => {
        const period = monthPeriod(month, zone);
        expect(periodHours(period)).to.equal(hours);
        expect(await usage(period)).to.deep.equal([
          { username: 'alice', sessions: 1, seconds: hours * 3600, input_octets: BigInt(hours) * 1000n, output_octets: 0n },
        ]);
      });
    }

    it('2026-10 in Europe/Berlin runs from 2026-09-30T22:00Z to 2026-10-31T23:00Z', () => {
      const p = monthPeriod('2026-10', 'Europe/Berlin');
      expect([p.from.toISOString(), p.to.toISOString()]).to.deep.equal(['2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z']);
    });
  });

  it('splits a half-hour zone (Asia/Kolkata +05:30) exactly, and adjacent months add up to the whole', async () => {
    // 18:00Z → 19:00Z with 1001 octets; Kolkata's October starts at 18:30Z: F(30 min) = ⌊1001/2⌋ = 500.
    await recordSession(testKnex(), {
      nasId: nas,
      accountId: alice,
      login: at('2026-09-30T18:00:00Z'),
      stop: { at: at('2026-09-30T19:00:00Z'), input: 1001n, output: 3n },
    });
    const sep = await usage(monthPeriod('2026-09', 'Asia/Kolkata'));
    const oct = await usage(monthPeriod('2026-10', 'Asia/Kolkata'));
    expect(sep).to.deep.equal([{ username: 'alice', sessions: 1, seconds: 1800, input_octets: 500n, output_octets: 1n }]);
    expect(oct).to.deep.equal([{ username: 'alice', sessions: 1, seconds: 1800, input_octets: 501n, output_octets: 2n }]);
  });

  it('finds deltas longer than a day and sessions longer than a week at non-hour edges too', async () => {
    // One 10-day delta (240 h, 1000 octets an hour) across Kolkata's month boundary 2026-09-30T18:30Z.
    await recordSession(testKnex(), {
      nasId: nas,
      accountId: alice,
      login: at('2026-09-25T00:00:00Z'),
      stop: { at: at('2026-10-05T00:00:00Z'), input: 240_000n, output: 0n },
    });
    expect(await usage(monthPeriod('2026-09', 'Asia/Kolkata'))).to.deep.equal([
      { username: 'alice', sessions: 1, seconds: 138.5 * 3600, input_octets: 138_500n, output_octets: 0n },
    ]);
    expect(await usage(monthPeriod('2026-10', 'Asia/Kolkata'))).to.deep.equal([
      { username: 'alice', sessions: 1, seconds: 101.5 * 3600, input_octets: 101_500n, output_octets: 0n },
    ]);
  });

  it('counts an open session up to now (no octets after its last update), and not past the period', async () => {
    await recordSession(testKnex(), {
      nasId: nas,
      accountId: alice,
      login: at('2026-10-10T00:00:00Z'),
      updates: [{ at: at('2026-10-10T01:00:00Z'), input: 100n, output: 50n }],
    });
    const now = at('2026-10-10T03:30:00Z');
    expect(await usage(monthPeriod('2026-10'), { now })).to.deep.equal([
      { username: 'alice', sessions: 1, seconds: 12600, input_octets: 100n, output_octets: 50n },
    ]);
    expect(await usage(range('2026-10-10T00:00:00Z', '2026-10-10T02:00:00Z'), { now })).to.deep.equal([
      { username: 'alice', sessions: 1, seconds: 7200, input_octets: 100n, output_octets: 50n },
    ]);
    expect(await usage(range('2026-10-10T02:15:00Z', '2026-10-10T02:45:00Z'), { now })).to.deep.equal([
      { username: 'alice', sessions: 1, seconds: 1800, input_octets: 0n, output_octets: 0n },
    ]);
    expect(await usage(monthPeriod('2026-11'), { now })).to.deep.equal([]);
  });

  it('keeps 64-bit counters exact when a month boundary splits them', async () => {
    const total = 3n * 2n ** 33n + 5n; // Gigawords in play; 3 h delta, 1 h of it in September
    await recordSession(testKnex(), {
      nasId: nas,
      accountId: alice,
      login: at('2026-09-30T23:00:00Z'),
      stop: { at: at('2026-10-01T02:00:00Z'), input: total, output: 2n ** 62n },
    });
    const [sep] = await usage(monthPeriod('2026-09'));
    const [oct] = await usage(monthPeriod('2026-10'));
    expect(sep.input_octets).to.equal(total / 3n); // ⌊total · 1/3⌋
    expect(sep.input_octets + oct.input_octets).to.equal(total);
    expect(sep.output_octets + oct.output_octets).to.equal(2n ** 62n);
    expect(oct.output_octets).to.equal((2n ** 62n * 2n) / 3n + 1n); // total − ⌊total/3⌋
  });

  it('reports nothing for an empty period, and a zero row for a named account', async () => {
    expect(await usage(monthPeriod('2026-10'))).to.deep.equal([]);
    expect(await usage(monthPeriod('2026-10'), { accountId: bob })).to.deep.equal([
      { username: 'bob', sessions: 0, seconds: 0, input_octets: 0n, output_octets: 0n },
    ]);
  });

  it('lists every account with usage, or only the one asked for', async () => {
    for (const [acct, hours] of [[alice, 1], [bob, 2]] as const) {
      await recordSession(testKnex(), {
        nasId: nas,
        accountId: acct,
        login: at('2026-10-02T00:00:00Z'),
        stop: { at: new Date(Date.UTC(2026, 9, 2, hours)), input: 10n, output: 20n },
      });
    }
    const all = await usage(monthPeriod('2026-10'));
    expect(all.map((r) => [r.username, r.seconds])).to.deep.equal([['alice', 3600], ['bob', 7200]]);
    expect(await usage(monthPeriod('2026-10'), { accountId: bob })).to.deep.equal([
      { username: 'bob', sessions: 1, seconds: 7200, input_octets: 10n, output_octets: 20n },
    ]);
  });

  it('counts a session ending exactly at the period start in the earlier period only', async () => {
    await recordSession(testKnex(), {
      nasId: nas,
      accountId: alice,
      login: at('2026-09-30T23:00:00Z'),
      stop: { at: at('2026-10-01T00:00:00Z'), input: 10n, output: 0n },
    });
    expect(await usage(monthPeriod('2026-10'))).to.deep.equal([]);
    expect((await usage(monthPeriod('2026-09')))[0].sessions).to.equal(1);
  });
});
