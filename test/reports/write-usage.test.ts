import { expect } from 'chai';
import { addUsage as writeUsage, type UsageDelta } from '../../src/db/sql/usage.ts';
import { testKnex } from '../helpers/db.ts';
import { at, cleanDatabase, insertAccount } from '../helpers/fixtures.ts';

interface Hourly {
  hour: string;
  seconds: number;
  input: bigint;
  output: bigint;
}

async function hourly(accountId: bigint): Promise<Hourly[]> {
  const rows = await testKnex()('usage_hourly').where({ account_id: accountId }).orderBy('hour');
  return rows.map((r) => ({
    hour: (r.hour as Date).toISOString(),
    seconds: r.seconds as number,
    input: BigInt(r.input_octets as string),
    output: BigInt(r.output_octets as string),
  }));
}

describe('writeUsage', () => {
  let acct: bigint;
  const delta = (t0: string, t1: string, input: bigint, output = 0n, seconds?: number): UsageDelta => ({
    accountId: acct,
    sessionId: 1n,
    t0: at(t0),
    t1: at(t1),
    seconds: seconds ?? (at(t1).getTime() - at(t0).getTime()) / 1000,
    inputOctets: input,
    outputOctets: output,
  });

  beforeEach(async () => {
    [, { alice: acct }] = await cleanDatabase(['192.0.2.1'], ['alice']);
  });

  it('stores each delta and splits it at UTC hours by a cumulative floor (parts sum to the whole)', async () => {
    // 10:30 → 12:15 is 6300 s; 1000 octets: F(1800 s) = ⌊1000·1800/6300⌋ = 285, F(5400 s) = 857, F(6300 s) = 1000.
    await writeUsage(testKnex(), [delta('2026-10-01T10:30:00Z', '2026-10-01T12:15:00Z', 1000n, 6300n)]);
    expect(await hourly(acct)).to.deep.equal([
      { hour: '2026-10-01T10:00:00.000Z', seconds: 1800, input: 285n, output: 1800n },
      { hour: '2026-10-01T11:00:00.000Z', seconds: 3600, input: 572n, output: 3600n },
      { hour: '2026-10-01T12:00:00.000Z', seconds: 900, input: 143n, output: 900n },
    ]);
    const [stored] = await testKnex()('usage_deltas');
    expect(stored.input_octets).to.equal(1000n);
    expect(stored.seconds).to.equal(6300);
  });

  it('sums several deltas of one account and hour within a call (no ON CONFLICT twice on a row)', async () => {
    await writeUsage(testKnex(), [
      delta('2026-10-01T10:00:00Z', '2026-10-01T10:05:00Z', 100n, 1n),
      delta('2026-10-01T10:05:00Z', '2026-10-01T10:10:00Z', 200n, 2n),
      { ...delta('2026-10-01T10:20:00Z', '2026-10-01T10:30:00Z', 300n, 3n), sessionId: 2n },
    ]);
    await writeUsage(testKnex(), [delta('2026-10-01T10:30:00Z', '2026-10-01T10:40:00Z', 400n, 4n)]);
    expect(await hourly(acct)).to.deep.equal([{ hour: '2026-10-01T10:00:00.000Z', seconds: 1800, input: 1000n, output: 10n }]);
    expect(await testKnex()('usage_deltas').count({ n: '*' })).to.deep.equal([{ n: 4n }]);
  });

  it('puts a zero-length delta whole at its instant, and an instant on the hour into the hour that starts', async () => {
    await writeUsage(testKnex(), [
      delta('2026-10-01T10:59:59Z', '2026-10-01T10:59:59Z', 7n, 0n, 0),
      delta('2026-10-01T11:00:00Z', '2026-10-01T11:00:00Z', 9n, 0n, 0),
    ]);
    expect(await hourly(acct)).to.deep.equal([
      { hour: '2026-10-01T10:00:00.000Z', seconds: 0, input: 7n, output: 0n },
      { hour: '2026-10-01T11:00:00.000Z', seconds: 0, input: 9n, output: 0n },
    ]);
  });

  it('takes a negative seconds delta (a Stop moving an estimated logout earlier) off the hours it covers', async () => {
    await writeUsage(testKnex(), [delta('2026-10-01T10:00:00Z', '2026-10-01T12:00:00Z', 0n)]);
    await writeUsage(testKnex(), [delta('2026-10-01T11:30:00Z', '2026-10-01T12:00:00Z', 0n, 0n, -1800)]);
    expect((await hourly(acct)).map((h) => h.seconds)).to.deep.equal([3600, 1800]);
  });

  it('keeps 64-bit counters exact, past 2^53 and summed past 2^64', async () => {
    const big = 2n ** 63n - 1n; // the largest int8, twice in one hour
    await writeUsage(testKnex(), [
      delta('2026-10-01T10:00:00Z', '2026-10-01T10:30:00Z', big, 5n * 2n ** 32n + 7n),
      delta('2026-10-01T10:30:00Z', '2026-10-01T11:00:00Z', big, 2n ** 53n + 1n),
    ]);
    const [h] = await hourly(acct);
    expect(h.input).to.equal(2n * big);
    expect(h.output).to.equal(5n * 2n ** 32n + 7n + 2n ** 53n + 1n);
  });

  it('takes hundreds of deltas in one call as one parameter', async () => {
    const deltas: UsageDelta[] = [];
    for (let i = 0; i < 600; i++) {
      const t0 = new Date(Date.UTC(2026, 9, 1) + i * 300_000);
      deltas.push({ accountId: acct, sessionId: BigInt(i % 7), t0, t1: new Date(t0.getTime() + 300_000), seconds: 300, inputOctets: 1n, outputOctets: 2n });
    }
    await writeUsage(testKnex(), deltas);
    const rows = await hourly(acct);
    expect(rows).to.have.length(50);
    expect(rows.filter((r) => r.seconds !== 3600 || r.input !== 12n || r.output !== 24n), 'hours that are not 3600 s, 12 and 24 octets').to.deep.equal([]);
  });

  it('refuses a delta that ends before it starts, and does nothing for none', async () => {
    await writeUsage(testKnex(), []);
    const err = await writeUsage(testKnex(), [delta('2026-10-01T11:00:00Z', '2026-10-01T10:00:00Z', 1n)]).then(() => null, (e: Error) => e);
    expect(err?.message).to.match(/ends before it starts/);
    expect(await hourly(acct)).to.deep.equal([]);
  });

  it('keeps usage_monthly equal to the hourly rollups summed per account and UTC month, across calls and month ends', async () => {
    const bob = await insertAccount(testKnex(), 'bob');
    await writeUsage(testKnex(), [
      delta('2026-10-31T23:30:00Z', '2026-11-01T00:30:00Z', 1000n, 10n),
      { ...delta('2026-10-15T10:00:00Z', '2026-10-15T10:10:00Z', 7n, 1n), accountId: bob },
      delta('2026-09-01T00:00:00Z', '2026-09-03T00:00:00Z', 5000n, 5n), // longer than a day: in neither rollup
    ]);
    await writeUsage(testKnex(), [delta('2026-11-01T00:30:00Z', '2026-11-01T00:40:00Z', 100n, 1n)]);
    const { rows: monthly } = await testKnex().raw(`SELECT account_id, month, seconds, input_octets::text AS i, output_octets::text AS o
                                                    FROM usage_monthly ORDER BY account_id, month`);
    const { rows: summed } = await testKnex().raw(`SELECT account_id, date_trunc('month', hour, 'UTC') AS month, sum(seconds) AS seconds,
                                                          sum(input_octets)::text AS i, sum(output_octets)::text AS o
                                                   FROM usage_hourly GROUP BY 1, 2 ORDER BY 1, 2`);
    expect(monthly).to.deep.equal(summed);
    expect(monthly.map((m: { month: Date; i: string }) => [m.month.toISOString().slice(0, 7), m.i])).to.deep.equal([
      ['2026-10', '500'], ['2026-11', '600'], ['2026-10', '7'],
    ]);
  });
});
