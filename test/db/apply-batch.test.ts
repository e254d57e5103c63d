// The session rules replayed through the batched transaction (no UDP): several events for one session in one
// batch, out-of-order arrivals, Accounting-On between session events, conflicts inside a batch.
import { expect } from 'chai';
import type { AccountingEvent, SessionEvent } from '../../src/accounting/event.ts';
import { applyBatch, type IngestItem, type IngestNas } from '../../src/ingest/apply-batch.ts';
import { testKnex, truncateAll } from '../helpers/db.ts';
import { addNas } from '../helpers/listener.ts';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
let nas: IngestNas;

function item(event: AccountingEvent): IngestItem {
  const session = 'acctSessionId' in event ? event : null;
  return {
    nas,
    code: 'Accounting-Request',
    statusType: event.kind,
    event,
    acctSessionId: session?.acctSessionId ?? null,
    username: session?.username ?? null,
    attributes: {},
    clockSkewSeconds: null,
  };
}

function sev(kind: SessionEvent['kind'], t: number, extra: Partial<SessionEvent> = {}): IngestItem {
  return item({ kind, time: at(t), arrival: at(t), acctSessionId: 's1', username: 'alice', portKey: '1', counters: {}, flags: [], ...extra });
}

const octets = (sessionTime: number, input: bigint, output: bigint) => ({ counters: { sessionTime: BigInt(sessionTime), inputOctets: input, outputOctets: output } });

async function sessions() {
  return testKnex()('sessions').orderBy('id');
}

async function usageTotals() {
  const r = await testKnex()('usage_deltas').select(
    testKnex().raw('coalesce(sum(seconds), 0)::float8 as seconds'),
    testKnex().raw('coalesce(sum(input_octets), 0)::int8 as input_octets'),
  ).first();
  return r;
}

describe('ingest batch (SQL)', () => {
  beforeEach(async () => {
    await truncateAll();
    const id = await addNas(testKnex());
    nas = { id, address: '127.0.0.1', portPolicy: 'autoclose' };
  });

  it('Start, Interim and Stop of one session in one batch make one closed session', async () => {
    const out = await applyBatch(testKnex(), [
      sev('start', 0),
      sev('interim', 300, octets(300, 10n, 20n)),
      sev('stop', 600, { ...octets(600, 30n, 40n), terminateCause: 'User-Request' }),
    ]);
    expect(out.map((o) => o.action)).to.deep.equal(['start', 'interim', 'stop']);
    const [s] = await sessions();
    expect(out.every((o) => o.sessionId === s.id)).to.equal(true);
    expect(s).to.include({ input_octets: 30n, output_octets: 40n, close_reason: 'stop', interim_count: 1 });
    expect(s.login).to.deep.equal(at(0));
    expect(s.logout).to.deep.equal(at(600));
    expect(await usageTotals()).to.deep.equal({ seconds: 600, input_octets: 30n });
  });

  it('the same packets in separate batches give the same row (batching changes nothing)', async () => {
    await applyBatch(testKnex(), [sev('start', 0)]);
    await applyBatch(testKnex(), [sev('interim', 300, octets(300, 10n, 20n))]);
    await applyBatch(testKnex(), [sev('stop', 600, { ...octets(600, 30n, 40n), terminateCause: 'User-Request' })]);
    const [s] = await sessions();
    expect(s).to.include({ input_octets: 30n, output_octets: 40n, close_reason: 'stop', interim_count: 1 });
    expect(await usageTotals()).to.deep.equal({ seconds: 600, input_octets: 30n });
  });

  it('Interim before Start in one batch: one session, login from the Start, late_start', async () => {
    await applyBatch(testKnex(), [sev('interim', 300, octets(290, 5n, 5n)), sev('start', 5)]);
    const rows = await sessions();
    expect(rows).to.have.length(1);
    expect(rows[0].login).to.deep.equal(at(5));
    expect(rows[0].flags).to.deep.equal(['late_start']);
    expect(await usageTotals()).to.deep.equal({ seconds: 295, input_octets: 5n });
  });

  it('a replayed batch changes nothing (idempotent under retransmission)', async () => {
    const batch = [sev('start', 0), sev('interim', 300, octets(300, 10n, 20n)), sev('stop', 600, octets(600, 30n, 40n))];
    await applyBatch(testKnex(), batch);
    const before = await sessions();
    const out = await applyBatch(testKnex(), batch);
    expect(out.map((o) => o.action)).to.deep.equal(['duplicate_start', 'late_interim', 'duplicate_stop']);
    const after = await sessions();
    expect(after.map((s) => ({ ...s, updated_at: null, flags: null }))).to.deep.equal(before.map((s) => ({ ...s, updated_at: null, flags: null })));
    // The copy of the Interim arrived after the Stop: stored as late, counters unchanged.
    expect(after[0].flags).to.deep.equal(['late_interim']);
    expect(await usageTotals()).to.deep.equal({ seconds: 600, input_octets: 30n });
  });

  it('Accounting-On between events: closes what began before it, later Starts stay open', async () => {
    await applyBatch(testKnex(), [sev('start', 0, { acctSessionId: 'old', portKey: '1' })]);
    await applyBatch(testKnex(), [
      sev('start', 50, { acctSessionId: 'mem', portKey: '2' }),
      item({ kind: 'accounting-on', time: at(100), arrival: at(100), flags: [] }),
      sev('start', 200, { acctSessionId: 'new', portKey: '3' }),
    ]);
    const rows = await sessions();
    const by = (id: string) => rows.find((r) => r.acct_session_id === id);
    expect(by('old')).to.include({ close_reason: 'nas_restart', logout_estimated: true, terminate_cause: 'NAS-Reboot' });
    expect(by('mem')).to.include({ close_reason: 'nas_restart' });
    expect(by('old').logout).to.deep.equal(at(100));
    expect(by('new').logout).to.equal(null);
    const n = await testKnex()('nas').where({ id: nas.id }).first();
    expect(n.last_restart).to.deep.equal(at(100));
    expect(n.accepted).to.equal(4n);
  });

  it('autoclose inside one batch: two Starts on one port leave one open session', async () => {
    await applyBatch(testKnex(), [
      sev('start', 0, { acctSessionId: 'a', username: 'u1' }),
      sev('start', 60, { acctSessionId: 'b', username: 'u2' }),
      sev('start', 120, { acctSessionId: 'c', username: 'u3' }),
    ]);
    const rows = await sessions();
    expect(rows.map((r) => [r.acct_session_id, r.close_reason])).to.deep.equal([['a', 'superseded'], ['b', 'superseded'], ['c', null]]);
    expect(rows[0].logout).to.deep.equal(at(60));
    expect(rows[1].logout).to.deep.equal(at(120));
  });

  it('the same Acct-Session-Id on another port or for another user is another session', async () => {
    await applyBatch(testKnex(), [
      sev('start', 0),
      sev('start', 0, { portKey: '2' }),
      sev('start', 0, { portKey: '3', username: 'bob' }),
    ]);
    expect(await sessions()).to.have.length(3);
    expect(await testKnex()('accounts').orderBy('username').pluck('username')).to.deep.equal(['alice', 'bob']);
  });

  it('a reused Acct-Session-Id after a Stop starts a new session', async () => {
    await applyBatch(testKnex(), [sev('start', 0), sev('stop', 100)]);
    await applyBatch(testKnex(), [sev('start', 500), sev('interim', 600, octets(100, 1n, 1n))]);
    const rows = await sessions();
    expect(rows).to.have.length(2);
    expect(rows[1]).to.include({ interim_count: 1, input_octets: 1n });
    expect(rows[1].logout).to.equal(null);
  });
});
