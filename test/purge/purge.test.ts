import { expect } from 'chai';
import { deleteAccount } from '../../src/admin/accounts.ts';
import { purge, type PurgeTotals } from '../../src/purge/purge.ts';
import { monthPeriod, rangePeriod } from '../../src/reports/period.ts';
import { usageByAccount } from '../../src/reports/usage.ts';
import { testKnex } from '../helpers/db.ts';
import { at, cleanDatabase, recordSession, SECRET } from '../helpers/fixtures.ts';
import { accountingRequest } from '../helpers/packets.ts';

const CUTOFF = at('2026-10-01T00:00:00Z');
const count = async (table: string) => Number((await testKnex()(table).count({ n: '*' }))[0]!.n);

async function journal(nasId: bigint, arrival: string): Promise<void> {
  await testKnex().raw('SELECT radtrack_ensure_partitions(?, ?)', [at(arrival), at(arrival)]);
  await testKnex()('journal').insert({ arrival: at(arrival), nas_id: nasId, action: 'interim', raw: accountingRequest({ statusType: 'Interim-Update', sessionId: 'j' }, SECRET) });
}

describe('purge (accounting.md §10)', () => {
  let nas: bigint;
  let alice: bigint;
  let bob: bigint;
  let oldOpen: bigint;
  let straddling: bigint;

  beforeEach(async () => {
    [[nas], { alice, bob }] = await cleanDatabase(['192.0.2.1'], ['alice', 'bob']);
    // alice: five closed September sessions of 1 h, 2 updates each (3 deltas).
    for (let day = 1; day <= 5; day++) {
      await recordSession(testKnex(), {
        nasId: nas, accountId: alice, login: new Date(Date.UTC(2026, 8, day, 10)),
        updates: [{ at: new Date(Date.UTC(2026, 8, day, 10, 20)), input: 100n, output: 10n }, { at: new Date(Date.UTC(2026, 8, day, 10, 40)), input: 200n, output: 20n }],
        stop: { at: new Date(Date.UTC(2026, 8, day, 11)), input: 300n, output: 30n },
      });
    }
    // bob: open since August (never purged), and one closing after the cutoff (kept).
    oldOpen = await recordSession(testKnex(), { nasId: nas, accountId: bob, login: at('2026-08-01T00:00:00Z'), updates: [{ at: at('2026-08-01T01:00:00Z'), input: 5n, output: 5n }] });
    straddling = await recordSession(testKnex(), {
      nasId: nas, accountId: bob, login: at('2026-09-30T23:00:00Z'),
      stop: { at: at('2026-10-01T00:00:00Z'), input: 1n, output: 1n },
    });
    await journal(nas, '2026-09-01T10:00:00Z');
    await journal(nas, '2026-09-30T23:59:59Z');
    await journal(nas, '2026-10-01T00:00:00Z');
  });

  it('dry run: counts what would go and deletes nothing', async () => {
    const summary = await purge(testKnex(), { before: CUTOFF, dryRun: true });
    expect(summary).to.deep.include({ dry_run: true, sessions: 5, journal: 2 });
    expect(await count('sessions')).to.equal(7);
  });

  it('drops a month before the cutoff whole; never open sessions; usage and every report stay as they were', async () => {
    const usageBefore = await usageByAccount(testKnex(), { period: monthPeriod('2026-09'), now: at('2026-09-15T00:00:00Z') });
    const progress: PurgeTotals[] = [];
    const summary = await purge(testKnex(), { before: CUTOFF, dryRun: false, batchSize: 2, onProgress: (t) => progress.push(t) });
    expect(summary).to.deep.include({ dry_run: false, sessions: 5, journal: 2 });
    expect(summary.months_dropped).to.include('2026-09');
    expect(progress.map((p) => [p.sessions, p.journal])).to.deep.equal([[5, 0], [5, 2]]);
    const left = await testKnex()('sessions').orderBy('id').pluck('id');
    expect(left).to.deep.equal([oldOpen, straddling]);
    expect(await count('usage_deltas')).to.equal(17); // usage stays: alice's 15, bob's 2
    expect(await testKnex()('journal').pluck('arrival')).to.deep.equal([at('2026-10-01T00:00:00Z')]);
    const usageAfter = await usageByAccount(testKnex(), { period: monthPeriod('2026-09'), now: at('2026-09-15T00:00:00Z') });
    expect(usageAfter).to.deep.equal(usageBefore);
    expect(usageAfter.find((u) => u.username === 'alice')).to.deep.include({ sessions: 5, seconds: 18_000, input_octets: 1500n });
  });

  it('deletes from the month the cutoff falls in in batches, and its reports stay as they were', async () => {
    const cutoff = at('2026-09-03T12:00:00Z');
    const before = await usageByAccount(testKnex(), { period: rangePeriod(at('2026-09-02T10:30:00Z'), at('2026-09-04T10:30:00Z')), now: at('2026-09-15T00:00:00Z') });
    const progress: PurgeTotals[] = [];
    const summary = await purge(testKnex(), { before: cutoff, dryRun: false, batchSize: 2, onProgress: (t) => progress.push(t) });
    expect(summary).to.deep.include({ sessions: 3, journal: 1 });
    expect(summary.months_dropped).to.not.include('2026-09');
    expect(progress.map((p) => [p.sessions, p.journal])).to.deep.equal([[2, 0], [3, 0], [3, 1]]);
    const after = await usageByAccount(testKnex(), { period: rangePeriod(at('2026-09-02T10:30:00Z'), at('2026-09-04T10:30:00Z')), now: at('2026-09-15T00:00:00Z') });
    expect(after).to.deep.equal(before);
  });

  it('is idempotent', async () => {
    await purge(testKnex(), { before: CUTOFF, dryRun: false });
    expect(await purge(testKnex(), { before: CUTOFF, dryRun: false })).to.deep.include({ sessions: 0, journal: 0 });
  });

  it('two purges at once delete each row once', async () => {
    const [a, b] = await Promise.all([
      purge(testKnex(), { before: CUTOFF, dryRun: false, batchSize: 1 }),
      purge(testKnex(), { before: CUTOFF, dryRun: false, batchSize: 1 }),
    ]);
    expect([a.sessions + b.sessions, a.journal + b.journal]).to.deep.equal([5, 2]);
  });

  it('lets an account with no sessions left be deleted afterwards', async () => {
    expect((await deleteAccount(testKnex(), 'alice')).status).to.not.equal('deleted');
    await purge(testKnex(), { before: CUTOFF, dryRun: false });
    expect(await deleteAccount(testKnex(), 'alice')).to.deep.equal({ status: 'deleted' });
    expect((await deleteAccount(testKnex(), 'bob')).status).to.not.equal('deleted'); // an open session stands in the way
  });
});
