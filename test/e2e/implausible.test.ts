// One signed packet must never stall the listener, bill decades, overflow a column or double-bill: the
// reliability issue's defects 4, 7, 8 and 10, replayed as a NAS would send them, through a real listener.
import { expect } from 'chai';
import { testKnex } from '../helpers/db.ts';
import { SECRET } from '../helpers/fixtures.ts';
import { useTestServer } from '../helpers/listener.ts';
import { accountingRequest, type AcctRequestSpec } from '../helpers/packets.ts';
import { normalizeAddress } from '../../src/server/nas-registry.ts';
import { addUnknownSources, listUnknownSources, MAX_UNKNOWN_SOURCES } from '../../src/db/sql/nas.ts';

const knex = () => testKnex();
const HOUR_MS = 3_600_000;

interface Row {
  username: string;
  acct_session_id: string;
  login: Date;
  logout: Date | null;
  session_time: bigint;
  input_octets: bigint;
  output_octets: bigint;
  flags: string[];
  close_reason: string | null;
}

async function rows(): Promise<Row[]> {
  return knex()('sessions as s')
    .join('accounts as a', 'a.id', 's.account_id')
    .select('a.username', 's.acct_session_id', 's.login', 's.logout', 's.session_time', 's.input_octets', 's.output_octets', 's.flags', 's.close_reason')
    .orderBy('s.id');
}

/** Hour rows of the account's usage rollup: bounded by what the session really spans, never by a claim. */
async function hourlyRows(): Promise<number> {
  const [r] = await knex()('usage_hourly').count<{ n: bigint }[]>({ n: '*' });
  return Number(r!.n);
}

describe('implausible packets (one packet cannot stall, overbill or overflow)', function () {
  this.timeout(60_000);
  const ctx = useTestServer();

  async function acked(spec: AcctRequestSpec): Promise<void> {
    const response = await ctx.server.client.request(accountingRequest(spec, SECRET), 10_000);
    expect(response, `an answer to ${spec.statusType} ${spec.sessionId ?? ''}`).to.not.equal(null);
  }

  it('a Stop without Start claiming Acct-Session-Time 4294967295 is answered at once, flagged, and bills no decades', async () => {
    await acked({ statusType: 'Stop', sessionId: 'huge-1', userName: 'mallory', nasPort: 1, sessionTime: 4294967295, inputOctets: 10, outputOctets: 10 });
    await acked({ statusType: 'Start', sessionId: 'next-1', userName: 'bob', nasPort: 2 }); // the next one is not held up
    const [huge, next] = await rows();
    expect(huge!.flags).to.include.members(['missing_start', 'implausible_session_time']);
    expect(next!.acct_session_id).to.equal('next-1');
    // The claimed 136 years are not believed: the session is the instant of its Stop, and at most a couple of
    // hour rows exist (one per account-hour touched), not 1,193,047.
    expect(await hourlyRows()).to.be.at.most(2);
    const usage = await knex()('usage_hourly').sum<{ s: string | null }[]>({ s: 'seconds' }).first();
    expect(Number(usage?.s ?? 0), 'billed seconds').to.be.at.most(1);
  });

  it('a Start with Event-Timestamp in 2050 does not close another session in 2050', async () => {
    const now = Math.floor(Date.now() / 1000);
    await acked({ statusType: 'Start', sessionId: 'honest-1', userName: 'alice', nasPort: 5, eventTimestamp: now - 60 });
    await acked({ statusType: 'Start', sessionId: 'future-1', userName: 'bob', nasPort: 5, eventTimestamp: Date.UTC(2050, 0, 1) / 1000 });
    const [honest, future] = await rows();
    expect(future!.flags).to.include('implausible_event_timestamp');
    // Its event time is its arrival instead: close to now, and so is the logout of the session it superseded.
    expect(Math.abs(future!.login.getTime() - Date.now()), 'future Start login - now (ms)').to.be.below(HOUR_MS);
    expect(honest!.close_reason).to.equal('superseded');
    expect(Math.abs(honest!.logout!.getTime() - Date.now()), 'superseded logout - now (ms)').to.be.below(HOUR_MS);
  });

  it('Gigawords of 2^31 and an Event-Timestamp of 0xFFFFFFF0 are acknowledged and flagged, and do not poison their batch', async () => {
    const specs: AcctRequestSpec[] = [
      { statusType: 'Start', sessionId: 'ovf-1', userName: 'carol', nasPort: 9, inputOctets: 2n ** 31n * 2n ** 32n },
      { statusType: 'Start', sessionId: 'ovf-2', userName: 'dave', nasPort: 10, eventTimestamp: 0xfffffff0 },
      ...Array.from({ length: 20 }, (_, i) => ({ statusType: 'Start' as const, sessionId: `ok-${i}`, userName: `u${i}`, nasPort: 100 + i })),
    ];
    // All at once, so they share batches with the two bad ones.
    await Promise.all(specs.map((s) => acked(s)));
    const stored = await rows();
    expect(stored.map((r) => r.acct_session_id).sort()).to.deep.equal(specs.map((s) => s.sessionId!).sort());
    const bySession = new Map(stored.map((r) => [r.acct_session_id, r]));
    expect(bySession.get('ovf-1')).to.deep.include({ input_octets: 0n, flags: ['implausible_counter'] });
    expect(bySession.get('ovf-2')!.flags).to.deep.equal(['implausible_event_timestamp']);
  });

  it('a Stop retransmitted 1.5 s later with a new Identifier and Acct-Delay-Time 1 is the same session (no double billing)', async () => {
    const stop = { statusType: 'Stop' as const, sessionId: 're-1', userName: 'erin', nasPort: 3, sessionTime: 0, inputOctets: 5000, outputOctets: 700 };
    await acked({ ...stop, identifier: 60, delay: 0 });
    // arrival − delay moves by 0.5 s here, like the jitter that made a second session before.
    await new Promise((r) => setTimeout(r, 1500));
    await acked({ ...stop, identifier: 61, delay: 1 });
    const stored = await rows();
    expect(stored.map((r) => [r.acct_session_id, r.input_octets, r.output_octets])).to.deep.equal([['re-1', 5000n, 700n]]);
    const usage = await knex()('usage_hourly').sum<{ i: string | null }[]>({ i: 'input_octets' }).first();
    expect(Number(usage?.i ?? 0), 'billed input octets').to.equal(5000);
  });
});

describe('unknown sources stay bounded, and an IPv6 zone id cannot break the counters', function () {
  this.timeout(60_000);
  useTestServer();

  it('a zone id is dropped from a source address (inet has no zones)', () => {
    expect(['fe80::1%eth0', '::ffff:192.0.2.1', 'FE80::AB'].map(normalizeAddress)).to.deep.equal(['fe80::1', '192.0.2.1', 'fe80::ab']);
  });

  it(`keeps at most ${MAX_UNKNOWN_SOURCES} unknown sources, the most recently heard`, async () => {
    const t0 = Date.UTC(2026, 10, 1);
    const flood = Array.from({ length: MAX_UNKNOWN_SOURCES + 300 }, (_, i) => ({
      address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      firstSeen: new Date(t0 + i * 1000),
      lastSeen: new Date(t0 + i * 1000),
      count: 1,
    }));
    await addUnknownSources(knex(), flood);
    const kept = await listUnknownSources(knex());
    expect(kept.length).to.equal(MAX_UNKNOWN_SOURCES);
    // The 300 heard first went; the newest stays first.
    expect([kept[0]!.address, kept.at(-1)!.address]).to.deep.equal([flood.at(-1)!.address, flood[300]!.address]);
  });
});
