import { expect } from 'chai';
import { reconcile, reconcileChanged, type ReconcileOptions } from '../../src/reconcile/reconcile.ts';
import { testKnex, testTarget, truncateAll } from '../helpers/db.ts';
import { at, insertAccount, insertNas, recordSession } from '../helpers/fixtures.ts';

const NOW = at('2026-11-22T12:00:00Z');
const run = (opts: Partial<ReconcileOptions> = {}) => reconcile(testKnex(), { now: NOW, closeSilent: false, dryRun: false, ...opts });

async function session(id: bigint) {
  return testKnex()('sessions').where({ id }).first();
}

describe('reconcile (accounting.md §10)', () => {
  let alive: bigint;
  let alice: bigint;

  beforeEach(async () => {
    await truncateAll();
    // interim 300 s: quiet limit 900 s. The NAS itself spoke a minute ago.
    alive = await insertNas(testKnex(), '192.0.2.1', { interimInterval: 300, lastSeen: at('2026-11-22T11:59:00Z') });
    alice = await insertAccount(testKnex(), 'alice');
  });

  const openSession = (nasId: bigint, lastUpdate: string) =>
    recordSession(testKnex(), {
      nasId, accountId: alice, login: at('2026-11-22T08:00:00Z'),
      updates: [{ at: at(lastUpdate), input: 10n, output: 10n }],
    });

  it('closes a stale session at its last update (not now), estimated, and leaves a fresh one open', async () => {
    const stale = await openSession(alive, '2026-11-22T11:44:59Z'); // 901 s ago
    const fresh = await openSession(alive, '2026-11-22T11:45:00Z'); // exactly 900 s: not longer than the limit
    const summary = await run();
    expect(summary.closed.map((s) => s.id)).to.deep.equal([stale]);
    expect(reconcileChanged(summary)).to.equal(true);
    const closed = await session(stale);
    expect([closed.logout.toISOString(), closed.close_reason, closed.logout_estimated]).to.deep.equal(['2026-11-22T11:44:59.000Z', 'stale', true]);
    expect((await session(fresh)).logout).to.equal(null);
  });

  it('takes --stale-after instead of 3 × the interim interval', async () => {
    const s = await openSession(alive, '2026-11-22T11:50:00Z'); // 600 s ago
    expect((await run({ staleAfterSeconds: 601 })).closed).to.have.length(0);
    expect((await run({ staleAfterSeconds: 599 })).closed.map((c) => c.id)).to.deep.equal([s]);
  });

  it('is idempotent: a second run changes nothing and has nothing to say', async () => {
    await openSession(alive, '2026-11-22T10:00:00Z');
    expect((await run()).closed).to.have.length(1);
    const again = await run();
    expect(again.closed).to.have.length(0);
    expect(reconcileChanged(again)).to.equal(false);
  });

  it('dry run: reports what it would close and changes nothing', async () => {
    const s = await openSession(alive, '2026-11-22T10:00:00Z');
    const dry = await run({ dryRun: true });
    expect([dry.dry_run, dry.closed.map((c) => c.id)]).to.deep.equal([true, [s]]);
    expect((await session(s)).logout).to.equal(null);
    expect((await run()).closed.map((c) => c.id)).to.deep.equal([s]);
  });

  describe('silent NAS', () => {
    let silent: bigint;
    beforeEach(async () => {
      silent = await insertNas(testKnex(), '192.0.2.9', { name: 'pop-9', interimInterval: 60, lastSeen: at('2026-11-22T11:00:00Z') });
    });

    it('is reported down once; its stale sessions stay open unless closeSilent', async () => {
      const s = await openSession(silent, '2026-11-22T10:59:00Z');
      const first = await run();
      expect(first.silent_nas.map((n) => [n.address, n.name, n.quiet_limit_seconds, n.open_sessions])).to.deep.equal([['192.0.2.9', 'pop-9', 180, 1]]);
      expect([first.newly_down, first.closed.length, first.left_open]).to.deep.equal([['192.0.2.9'], 0, 1]);
      expect(reconcileChanged(first)).to.equal(true);
      const second = await run();
      expect([second.newly_down, reconcileChanged(second)]).to.deep.equal([[], false]);
      const closing = await run({ closeSilent: true });
      expect(closing.closed.map((c) => [c.id, c.silent_nas])).to.deep.equal([[s, true]]);
      expect((await session(s)).close_reason).to.equal('stale');
    });

    it('is reported back up when it speaks again; a dry run does not move the record', async () => {
      await run();
      await testKnex()('nas').where({ id: silent }).update({ last_seen: at('2026-11-22T11:59:30Z') });
      expect((await run({ dryRun: true })).back_up).to.deep.equal(['192.0.2.9']);
      const back = await run();
      expect([back.back_up, back.silent_nas]).to.deep.equal([['192.0.2.9'], []]);
    });

    it('counts a NAS never heard from once it has been registered longer than the limit', async () => {
      await insertNas(testKnex(), '192.0.2.10', { lastSeen: null, createdAt: at('2026-11-22T11:58:00Z') });
      await insertNas(testKnex(), '192.0.2.11', { lastSeen: null, createdAt: at('2026-11-22T11:00:00Z') });
      expect((await run()).silent_nas.map((n) => n.address)).to.deep.equal(['192.0.2.11', '192.0.2.9']);
    });
  });

  it('two concurrent runs close each session once', async () => {
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push(await openSession(alive, '2026-11-22T10:00:00Z'));
    const [a, b] = await Promise.all([run(), run()]);
    const closed = [...a.closed, ...b.closed].map((c) => c.id);
    expect(closed).to.have.members(ids);
    expect(closed).to.have.length(20);
  });

  it('a run that finds the lock held skips (PostgreSQL) or waits its turn (embedded: one shared session)', async () => {
    const s = await openSession(alive, '2026-11-22T10:00:00Z');
    await testKnex().raw(`INSERT INTO job_locks (name) VALUES ('reconcile') ON CONFLICT DO NOTHING`);
    const holder = await testKnex().transaction();
    await holder.raw(`SELECT 1 FROM job_locks WHERE name = 'reconcile' FOR UPDATE`);
    const pending = run();
    await new Promise((r) => setTimeout(r, 300));
    await holder.commit();
    const summary = await pending;
    if (testTarget().kind === 'postgres') {
      expect(summary.skipped).to.equal(true);
      expect((await session(s)).logout).to.equal(null);
    } else {
      expect(summary.closed.map((c) => c.id)).to.deep.equal([s]);
    }
  });
});
