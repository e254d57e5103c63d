// Two listeners on one database (a NAS failing over between two radtrack hosts, or sending to both): a
// session's packets may reach either, in any order, at the same moment. The per-(NAS, bucket) ingest locks
// (src/db/sql/ingest-locks.ts) order them through the database, so a session is still one row, exact.
import { expect } from 'chai';
import { testKnex, truncateAll } from '../helpers/db.ts';
import { insertNas, SECRET } from '../helpers/fixtures.ts';
import { startTestServer, type TestServer } from '../helpers/listener.ts';
import { accountingRequest, type AcctRequestSpec } from '../helpers/packets.ts';

interface Stored {
  acct_session_id: string;
  logout_set: boolean;
  close_reason: string | null;
  session_time: bigint;
  input_octets: bigint;
  output_octets: bigint;
}

async function storedSessions(): Promise<Stored[]> {
  return testKnex()('sessions')
    .select('acct_session_id', testKnex().raw('logout IS NOT NULL AS logout_set'), 'close_reason', 'session_time', 'input_octets', 'output_octets')
    .orderBy(['acct_session_id', 'id']);
}

describe('two listeners on one database', function () {
  this.timeout(120_000);
  let a: TestServer;
  let b: TestServer;

  beforeEach(async () => {
    await truncateAll();
    await insertNas(testKnex(), '127.0.0.1');
    a = await startTestServer();
    b = await startTestServer();
  });
  afterEach(async () => {
    await a.stop();
    await b.stop();
  });

  /** Sends to one listener and insists on an answer: every packet here must be acknowledged. */
  async function acked(server: TestServer, spec: AcctRequestSpec): Promise<void> {
    const response = await server.client.request(accountingRequest(spec, SECRET), 10_000);
    expect(response, `an answer to ${spec.statusType} ${spec.sessionId}`).to.not.equal(null);
  }

  it('a session whose packets fail over from one listener to the other is one row', async () => {
    const t = Math.floor(Date.now() / 1000) - 600;
    const base = { sessionId: 'fo-1', userName: 'alice', nasPort: 7 };
    await acked(a, { ...base, statusType: 'Start', eventTimestamp: t });
    await acked(b, { ...base, statusType: 'Start', eventTimestamp: t }); // the NAS retries on the other server
    await acked(b, { ...base, statusType: 'Interim-Update', eventTimestamp: t + 300, sessionTime: 300, inputOctets: 1000, outputOctets: 10 });
    await acked(a, { ...base, statusType: 'Stop', eventTimestamp: t + 500, sessionTime: 500, inputOctets: 2000, outputOctets: 20 });
    await acked(b, { ...base, statusType: 'Stop', eventTimestamp: t + 500, sessionTime: 500, inputOctets: 2000, outputOctets: 20, delay: 1 });
    expect(await storedSessions()).to.deep.equal([
      { acct_session_id: 'fo-1', logout_set: true, close_reason: 'stop', session_time: 500n, input_octets: 2000n, output_octets: 20n },
    ]);
  });

  it('the same packets sent to both listeners at once, for many sessions, make each session once and exactly', async () => {
    const t = Math.floor(Date.now() / 1000) - 900;
    const sessions = Array.from({ length: 150 }, (_, i) => ({
      sessionId: `both-${String(i).padStart(3, '0')}`,
      userName: `user${i % 20}`,
      // A third of them without a port: those are ordered by Acct-Session-Id instead.
      ...(i % 3 === 0 ? {} : { nasPort: 100 + i }),
    }));
    const both = (spec: AcctRequestSpec) => Promise.all([acked(a, spec), acked(b, spec)]);
    await Promise.all(sessions.map((s) => both({ ...s, statusType: 'Start', eventTimestamp: t })));
    await Promise.all(
      sessions.map((s, i) =>
        Promise.all([
          acked(a, { ...s, statusType: 'Interim-Update', eventTimestamp: t + 300, sessionTime: 300, inputOctets: 100 + i, outputOctets: 1 }),
          acked(b, { ...s, statusType: 'Stop', eventTimestamp: t + 600, sessionTime: 600, inputOctets: 1000 + i, outputOctets: 2 }),
        ]),
      ),
    );
    const expected = sessions.map((s, i) => ({
      acct_session_id: s.sessionId,
      logout_set: true,
      close_reason: 'stop',
      session_time: 600n,
      input_octets: BigInt(1000 + i),
      output_octets: 2n,
    }));
    expect(await storedSessions()).to.deep.equal(expected);
  });
});
