import { expect } from 'chai';
import { deleteAccount } from '../../src/admin/accounts.ts';
import { purge, type PurgeTotals } from '../../src/purge/purge.ts';
import { monthPeriod } from '../../src/reports/period.ts';
import { usageByAccount } from '../../src/reports/usage.ts';
import { testKnex, truncateAll } from '../helpers/db.ts';
import { at, insertAccount, insertNas, recordSession } from '../reports/fixtures.test.ts';

const CUTOFF = at('2026-10-01T00:00:00Z');
const count = async (table: string) => Number((await testKnex()(table).count({ n: '*' }))[0]!.n);

async function journal(nasId: bigint, arrival: string): Promise<void> {
  await testKnex()('journal').insert({ arrival: at(arrival), nas_id: nasId, nas_address: '192.0.2.1', code: 'Accounting-Request', action: 'interim', attributes: '{}' });
}

describe('purge (accounting.md §10)', () => {
  let nas: bigint;
  let alice: bigint;
  let bob: bigint;
  let oldOpen: bigint;
  let straddling: bigint;

  beforeEach(async () => {
    await truncateAll();
    nas = await insertNas(testKnex(), '192.0.2.1');
    alice = await insertAccount(testKnex(), 'alice');
    bob = await insertAccount(testKnex(), 'bob');
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
    expect(summary).to.deep.include({ dry_run: true, sessions: 5, usage_deltas: 15, journal: 2 });
    expect(await count('sessions')).to.equal(7);
  });

  it('deletes closed sessions before the cutoff with their deltas, in batches; never open ones; rollups stay', async () => {
    const usageBefore = await usageByAccount(testKnex(), { period: monthPeriod('2026-09'), now: at('2026-09-15T00:00:00Z') });
    const progress: PurgeTotals[] = [];
    const summary = await purge(testKnex(), { before: CUTOFF, dryRun: false, batchSize: 2, onProgress: (t) => progress.push(t) });
    expect(summary).to.deep.include({ dry_run: false, sessions: 5, usage_deltas: 15, journal: 2 });
    expect(progress.map((p) => p.sessions)).to.deep.equal([2, 4, 5, 5]);
    const left = await testKnex()('sessions').orderBy('id').pluck('id');
    expect(left).to.deep.equal([oldOpen, straddling]);
    expect(await count('usage_deltas')).to.equal(2); // bob's two sessions, one delta each
    expect(await testKnex()('journal').pluck('arrival')).to.deep.equal([at('2026-10-01T00:00:00Z')]);
    // The rollups keep September's usage; only the session count covers what is left.
    const usageAfter = await usageByAccount(testKnex(), { period: monthPeriod('2026-09'), now: at('2026-09-15T00:00:00Z') });
    expect(usageAfter.map(({ sessions: _s, ...u }) => u)).to.deep.equal(usageBefore.map(({ sessions: _s, ...u }) => u));
    expect(usageAfter.find((u) => u.username === 'alice')).to.deep.include({ sessions: 0, seconds: 18_000, input_octets: 1500n });
  });

  it('is idempotent', async () => {
    await purge(testKnex(), { before: CUTOFF, dryRun: false });
    expect(await purge(testKnex(), { before: CUTOFF, dryRun: false })).to.deep.include({ sessions: 0, usage_deltas: 0, journal: 0 });
  });

  it('two purges at once delete each row once', async () => {
    const [a, b] = await Promise.all([
      purge(testKnex(), { before: CUTOFF, dryRun: false, batchSize: 1 }),
      purge(testKnex(), { before: CUTOFF, dryRun: false, batchSize: 1 }),
    ]);
    expect([a.sessions + b.sessions, a.usage_deltas + b.usage_deltas, a.journal + b.journal]).to.deep.equal([5, 15, 2]);
  });

  it('lets an account with no sessions left be deleted afterwards', async () => {
    expect((await deleteAccount(testKnex(), 'alice')).status).to.not.equal('deleted');
    await purge(testKnex(), { before: CUTOFF, dryRun: false });
    expect(await deleteAccount(testKnex(), 'alice')).to.deep.equal({ status: 'deleted' });
    expect((await deleteAccount(testKnex(), 'bob')).status).to.not.equal('deleted'); // an open session stands in the way
  });
});
