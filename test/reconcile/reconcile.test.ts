import { expect } from 'chai';
import { reconcile, reconcileChanged, type ReconcileOptions } from '../../src/reconcile/reconcile.ts';
import { testConnection, testKnex, truncateAll } from '../helpers/db.ts';
import { at, insertAccount, insertNas, recordSession } from '../helpers/fixtures.ts';

const NOW = at('2026-11-22T12:00:00Z');
const db = () => ({ knex: testKnex(), connection: testConnection() });
const run = (opts: Partial<ReconcileOptions> = {}) => reconcile(db(), { now: NOW, closeSilent: false, dryRun: false, ...opts });
const closedIds = (s: { closed_sessions: { id: bigint }[] }) => s.closed_sessions.map((c) => c.id);

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

  it('closes a stale session at its last update (not now), estimated, session time logout − login; leaves a fresh one open', async () => {
    const stale = await openSession(alive, '2026-11-22T11:44:59Z'); // 901 s ago
    const fresh = await openSession(alive, '2026-11-22T11:45:00Z'); // exactly 900 s: not longer than the limit
    const summary = await run();
    expect([summary.closed, closedIds(summary), reconcileChanged(summary)]).to.deep.equal([1, [stale], true]);
    const closed = await session(stale);
    expect([closed.logout.toISOString(), closed.close_reason, closed.logout_estimated, closed.session_time]).to.deep.equal(
      ['2026-11-22T11:44:59.000Z', 'stale', true, BigInt(3 * 3600 + 44 * 60 + 59)],
    );
    expect([closed.input_octets, closed.output_octets]).to.deep.equal([10n, 10n]);
    expect((await session(fresh)).logout).to.equal(null);
  });

  it('takes --stale-after instead of 3 × the interim interval', async () => {
    const s = await openSession(alive, '2026-11-22T11:50:00Z'); // 600 s ago
    expect((await run({ staleAfterSeconds: 601 })).closed).to.equal(0);
    expect(closedIds(await run({ staleAfterSeconds: 599 }))).to.deep.equal([s]);
  });

  it('is idempotent: a second run changes nothing and has nothing to say', async () => {
    await openSession(alive, '2026-11-22T10:00:00Z');
    expect((await run()).closed).to.equal(1);
    const again = await run();
    expect([again.closed, reconcileChanged(again)]).to.deep.equal([0, false]);
  });

  it('dry run: reports what it would close and changes nothing', async () => {
    const s = await openSession(alive, '2026-11-22T10:00:00Z');
    const dry = await run({ dryRun: true });
    expect([dry.dry_run, closedIds(dry)]).to.deep.equal([true, [s]]);
    expect((await session(s)).logout).to.equal(null);
    expect(closedIds(await run())).to.deep.equal([s]);
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
      expect([first.newly_down, first.closed, first.left_open, reconcileChanged(first)]).to.deep.equal([['192.0.2.9'], 0, 1, true]);
      const second = await run();
      expect([second.newly_down, reconcileChanged(second)]).to.deep.equal([[], false]);
      const closing = await run({ closeSilent: true });
      expect(closing.closed_sessions.map((c) => [c.id, c.silent_nas])).to.deep.equal([[s, true]]);
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
      expect((await run()).silent_nas.map((n) => n.address)).to.deep.equal(['192.0.2.9', '192.0.2.11']); // by address, as report nas
    });
  });

  it('closes page by page: a backlog larger than a page, each session once, the first ones listed', async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push(await openSession(alive, '2026-11-22T10:00:00Z'));
    const summary = await run({ pageSize: 3 });
    expect([summary.closed, closedIds(summary)]).to.deep.equal([7, ids]);
    expect(await testKnex()('sessions_open').count<{ count: bigint }[]>('* as count')).to.deep.equal([{ count: 0n }]);
  });

  it('a session quiet since a month without a partition: the month is made, the session closed into it', async () => {
    // Inserted by hand (no usage, so nothing made the month's partitions), last updated in March 2020.
    const { rows: [row] } = await testKnex().raw(
      `INSERT INTO sessions (nas_id, account_id, acct_session_id, login, last_update, input_octets)
       VALUES (?, ?, 'old-1', '2020-03-10T08:00:00Z', '2020-03-10T09:30:00.5Z', 5) RETURNING id`, [String(alive), String(alice)]);
    const summary = await run();
    expect([summary.closed, closedIds(summary)]).to.deep.equal([1, [row.id]]);
    const { rows: [closed] } = await testKnex().raw(`SELECT logout, session_time, close_reason, logout_estimated, input_octets FROM sessions_2020m03 WHERE id = ?`, [row.id]);
    expect([closed.logout.toISOString(), closed.session_time, closed.close_reason, closed.logout_estimated, closed.input_octets])
      .to.deep.equal(['2020-03-10T09:30:00.500Z', 5401n, 'stale', true, 5n]);
  });

  it('two runs at once: one closes every stale session once, the other skips (the lease)', async () => {
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push(await openSession(alive, '2026-11-22T10:00:00Z'));
    const [a, b] = await Promise.all([run(), run()]);
    expect([a.skipped, b.skipped].sort()).to.deep.equal([false, true]);
    expect([...closedIds(a), ...closedIds(b)]).to.have.members(ids).and.have.length(20);
  });

  it('a run that finds the lease held skips and names the holder; an expired lease is taken over', async () => {
    const s = await openSession(alive, '2026-11-22T10:00:00Z');
    await testKnex().raw(`INSERT INTO job_locks (name, holder, held_until) VALUES ('reconcile', 'host-b pid 7', now() + interval '1 minute')`);
    const skipped = await run();
    expect([skipped.skipped, skipped.held_by, skipped.closed]).to.deep.equal([true, 'host-b pid 7', 0]);
    expect((await session(s)).logout).to.equal(null);
    await testKnex()('job_locks').where({ name: 'reconcile' }).update({ held_until: testKnex().raw(`now() - interval '1 second'`) });
    expect(closedIds(await run())).to.deep.equal([s]);
    const row = await testKnex()('job_locks').where({ name: 'reconcile' }).first();
    expect([row.holder, row.held_until, row.state]).to.deep.equal([null, null, { down: [] }]);
  });

  it('a NAS with an interim interval of a day: the limit is 3 days, no overflow (defect 11)', async () => {
    const daily = await insertNas(testKnex(), '192.0.2.20', { interimInterval: 86_400, lastSeen: at('2026-11-22T11:00:00Z') });
    const s = await recordSession(testKnex(), { nasId: daily, accountId: alice, login: at('2026-11-18T00:00:00Z'), updates: [{ at: at('2026-11-19T11:59:00Z'), input: 1n, output: 1n }] });
    expect(closedIds(await run())).to.deep.equal([s]);
    const refused = await insertNas(testKnex(), '192.0.2.21', { interimInterval: 86_401 }).then(() => null, (err: Error) => err.message);
    expect(refused).to.match(/nas_interim_interval_day/);
  });
});
