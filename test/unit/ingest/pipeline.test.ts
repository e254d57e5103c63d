// The datagram path (src/ingest/pipeline.ts) with its dependencies handed in: the batch writer is a function
// the test resolves or rejects by hand, the clock is fixed, the backoff timer runs when the test says. So
// in-flight copies, a full queue, a failed commit and shutdown are exact, with no UDP, no database, no sleeps.
// (The same path against a real socket and database: test/e2e/*.test.ts.)
import { expect } from 'chai';
import { silentLogger } from '../../../src/log.ts';
import { makeIngest, type IngestClient, type IngestDeps, type Source } from '../../../src/ingest/pipeline.ts';
import type { IngestItem, IngestOutcome } from '../../../src/ingest/item.ts';
import { SECRET } from '../../helpers/fixtures.ts';
import { accountingRequest, responseProblem, type AcctRequestSpec } from '../../helpers/packets.ts';

const NAS: IngestClient = { id: 1n, address: '127.0.0.1', portPolicy: 'autoclose', clockLimit: 7 * 86_400, secret: Buffer.from(SECRET) };
const FROM: Source = { address: '127.0.0.1', port: 40000 };
const NOW = new Date('2026-12-02T10:00:00Z');

interface PendingCommit {
  items: IngestItem[];
  lane: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** A pipeline whose commits wait for the test, and whose sends are recorded. */
function harness(overrides: Partial<IngestDeps> = {}) {
  const commits: PendingCommit[] = [];
  const sent: Buffer[] = [];
  const timers: (() => void)[] = [];
  const ingest = makeIngest({
    nasLookup: (address) => (address === NAS.address ? NAS : undefined),
    clock: () => NOW,
    commit: (items, lane) =>
      new Promise<IngestOutcome[]>((resolve, reject) => {
        commits.push({ items, lane, resolve: () => resolve(items.map(() => ({ action: 'start', sessionId: 1n }))), reject });
      }),
    send: (response) => sent.push(response),
    log: silentLogger,
    lanes: 2,
    maxBatch: 100,
    maxPending: 100,
    setTimer: (_ms, fn) => {
      timers.push(fn);
      return { cancel: () => timers.splice(timers.indexOf(fn), 1) };
    },
    ...overrides,
  });
  return { ingest, commits, sent, timers };
}

/** Lets settled promises run their callbacks (event-loop turns, not time). */
const settle = () => new Promise<void>((r) => setImmediate(r));

const start = (sessionId: string, extra: Partial<AcctRequestSpec> = {}) =>
  accountingRequest({ statusType: 'Start', sessionId, userName: 'alice', nasPort: 1, eventTimestamp: NOW.getTime() / 1000, ...extra }, SECRET);

const countsOf = (ingest: ReturnType<typeof harness>['ingest']) => {
  const { accepted, duplicates, malformed, bad_authenticator, unknown_nas, unprocessable } = ingest.tally.totals;
  return { accepted, duplicates, malformed, bad_authenticator, unknown_nas, unprocessable };
};

describe('ingest pipeline (dependencies handed in)', () => {
  it('answers a packet only after its batch committed, with a valid Accounting-Response', async () => {
    const h = harness();
    const request = start('s1');
    h.ingest.handleDatagram(request, FROM);
    await settle();
    expect({ commits: h.commits.length, sent: h.sent.length }).to.deep.equal({ commits: 1, sent: 0 });
    h.commits[0]!.resolve();
    await settle();
    expect(h.sent.map((r) => ({ code: r[0], id: r[1], problem: responseProblem(r, request, SECRET) }))).to.deep.equal([
      { code: 5, id: request[1], problem: null },
    ]);
    expect(countsOf(h.ingest)).to.deep.include({ accepted: 1, duplicates: 0 });
  });

  it('a copy that arrives while the original is in flight is not written again, and both get the answer', async () => {
    const h = harness();
    const request = start('s1');
    h.ingest.handleDatagram(request, FROM);
    h.ingest.handleDatagram(Buffer.from(request), FROM);
    await settle();
    expect(h.commits.map((c) => c.items.length)).to.deep.equal([1]);
    h.commits[0]!.resolve();
    await settle();
    expect(h.sent.map((r) => r.toString('hex')), 'the same response bytes twice').to.deep.equal([h.sent[0]!.toString('hex'), h.sent[0]!.toString('hex')]);
    // A copy after the commit is answered from the cache, without a write.
    h.ingest.handleDatagram(Buffer.from(request), FROM);
    await settle();
    expect({ commits: h.commits.length, sent: h.sent.length, ...countsOf(h.ingest) }).to.deep.include({ commits: 1, sent: 3, accepted: 1, duplicates: 2 });
  });

  it('past maxPending a packet is not taken and not answered; its retransmission is taken later', async () => {
    const h = harness({ maxPending: 1, lanes: 1 });
    const id = (c: PendingCommit) => c.items.map((i) => ('acctSessionId' in i.event ? i.event.acctSessionId : ''));
    h.ingest.handleDatagram(start('a'), FROM); // written at once: the lane was idle
    h.ingest.handleDatagram(start('b', { nasPort: 2 }), FROM); // waits for the lane: the one pending packet
    const third = start('c', { nasPort: 3 });
    h.ingest.handleDatagram(third, FROM); // refused: the queue is full
    await settle();
    expect(h.ingest.tally.packets.get('Accounting-Request|Start|queue_full')).to.equal(1);
    h.commits[0]!.resolve();
    await settle();
    h.ingest.handleDatagram(third, FROM); // the NAS retransmits: now there is room
    h.commits[1]!.resolve();
    await settle();
    h.commits[2]!.resolve();
    await settle();
    expect(h.commits.map(id)).to.deep.equal([['a'], ['b'], ['c']]);
    expect(h.sent.length).to.equal(3);
  });

  it('a failed commit (database away) answers nothing; after the backoff the retransmission is written and answered', async () => {
    const h = harness();
    const request = start('s1');
    h.ingest.handleDatagram(request, FROM);
    await settle();
    h.commits[0]!.reject(Object.assign(new Error('connection terminated'), { code: '57P01' }));
    await settle();
    expect({ sent: h.sent.length, timers: h.timers.length }).to.deep.equal({ sent: 0, timers: 1 });
    expect(h.ingest.tally.packets.get('Accounting-Request|Start|not_stored')).to.equal(1);
    h.ingest.handleDatagram(request, FROM); // the NAS retransmits while the batcher backs off: queued, not written
    await settle();
    expect(h.commits.length).to.equal(1);
    h.timers.shift()!(); // the backoff ends
    await settle();
    expect(h.commits.length).to.equal(2);
    h.commits[1]!.resolve();
    await settle();
    expect({ sent: h.sent.length, ...countsOf(h.ingest) }).to.deep.include({ sent: 1, accepted: 1 });
  });

  it('a packet the database refuses on its own is not answered, counted unprocessable, and its copies are dropped', async () => {
    const h = harness();
    const bad = start('bad');
    const good = start('good', { nasPort: 2 });
    h.ingest.handleDatagram(bad, FROM);
    await settle();
    h.commits[0]!.reject(Object.assign(new Error('value out of range'), { code: '22003' }));
    await settle();
    h.ingest.handleDatagram(Buffer.from(bad), FROM); // a retransmission: not written again
    h.ingest.handleDatagram(good, FROM);
    await settle();
    expect(h.commits.length).to.equal(2);
    h.commits[1]!.resolve();
    await settle();
    expect(h.sent.length).to.equal(1);
    expect(countsOf(h.ingest)).to.deep.include({ accepted: 1, unprocessable: 2 });
  });

  it('drain() commits and answers what was taken, and takes nothing after', async () => {
    const h = harness();
    h.ingest.handleDatagram(start('s1'), FROM);
    h.ingest.handleDatagram(start('s2', { nasPort: 2 }), FROM);
    await settle();
    const drained = h.ingest.drain();
    h.ingest.handleDatagram(start('late', { nasPort: 3 }), FROM);
    for (const c of h.commits) c.resolve();
    await drained;
    expect({ sent: h.sent.length, written: h.commits.flatMap((c) => c.items).length, pending: h.ingest.pending }).to.deep.equal({ sent: 2, written: 2, pending: 0 });
  });

  it('unknown sources, bad authenticators and malformed datagrams are counted and never reach the writer', async () => {
    const h = harness();
    h.ingest.handleDatagram(start('s1'), { address: '192.0.2.7', port: 1 });
    h.ingest.handleDatagram(accountingRequest({ statusType: 'Start', sessionId: 's2', userName: 'x' }, 'wrong-secret'), FROM);
    h.ingest.handleDatagram(start('s3').subarray(0, 15), FROM);
    await settle();
    expect({ commits: h.commits.length, sent: h.sent.length, ...countsOf(h.ingest) }).to.deep.equal({
      commits: 0, sent: 0, accepted: 0, duplicates: 0, malformed: 1, bad_authenticator: 1, unknown_nas: 1, unprocessable: 0,
    });
  });

  it("keeps one session's packets on one lane, in arrival order", async () => {
    const h = harness({ lanes: 4 });
    const t = NOW.getTime() / 1000;
    for (const [i, type] of (['Start', 'Interim-Update', 'Stop'] as const).entries()) {
      h.ingest.handleDatagram(accountingRequest({ statusType: type, sessionId: 'k1', userName: 'alice', nasPort: 9, eventTimestamp: t + i, sessionTime: i }, SECRET), FROM);
      await settle();
      h.commits.at(-1)!.resolve();
      await settle();
    }
    expect(new Set(h.commits.map((c) => c.lane)).size, 'lanes used').to.equal(1);
    expect(h.commits.map((c) => c.items[0]!.event.kind)).to.deep.equal(['start', 'interim', 'stop']);
  });

  it('Accounting-On waits for what arrived before it, runs alone, and only then do later packets go', async () => {
    const h = harness({ lanes: 2 });
    const kinds = () => h.commits.map((c) => c.items.map((i) => i.event.kind));
    h.ingest.handleDatagram(start('before', { nasPort: 1 }), FROM);
    h.ingest.handleDatagram(accountingRequest({ statusType: 'Accounting-On', eventTimestamp: NOW.getTime() / 1000 }, SECRET), FROM);
    h.ingest.handleDatagram(start('after', { nasPort: 2 }), FROM);
    await settle();
    expect(kinds()).to.deep.equal([['start']]);
    h.commits[0]!.resolve();
    await settle();
    expect(kinds()).to.deep.equal([['start'], ['accounting-on']]);
    h.commits[1]!.resolve();
    await settle();
    expect(kinds()).to.deep.equal([['start'], ['accounting-on'], ['start']]);
  });
});
