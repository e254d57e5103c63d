// End to end: real UDP datagrams to a running listener, real commits, then the rows and the responses.
import { expect } from 'chai';
import { accountingRequest, responseProblem, statusServer } from '../helpers/packets.ts';
import { listJournal } from '../../src/db/sql/journal.ts';
import { testKnex } from '../helpers/db.ts';
import { insertNas, SECRET } from '../helpers/fixtures.ts';
import { useTestServer, waitFor } from '../helpers/listener.ts';

const knex = () => testKnex();
const GiB4 = 2n ** 32n;

async function sessionRows() {
  return knex()('sessions as s')
    .join('accounts as a', 'a.id', 's.account_id')
    .leftJoin('ports as p', 'p.id', 's.port_id')
    .select('s.*', 'a.username', 'a.provisioned', 'p.port_key', knex().raw('host(s.framed_ip) as framed_host'))
    .orderBy('s.id');
}

describe('listener end to end', function () {
  const ctx = useTestServer();

  async function ok(datagram: Buffer): Promise<Buffer> {
    const response = await ctx.server.client.request(datagram);
    expect(response, 'an Accounting-Response').to.not.equal(null);
    expect(responseProblem(response!, datagram, SECRET), 'response authenticator').to.equal(null);
    return response!;
  }

  it('Start, Interim-Update, Stop: one session with 64-bit counters, closed by stop, answered after commit', async () => {
    const base = { sessionId: 'A1', userName: 'alice', nasPort: 12, framedIp: '100.64.1.2', callingStationId: '02:00:00:00:00:01' };
    const t = Math.floor(Date.now() / 1000) - 3600;
    await ok(accountingRequest({ ...base, statusType: 'Start', eventTimestamp: t }, SECRET));
    await ok(accountingRequest({ ...base, statusType: 'Interim-Update', eventTimestamp: t + 300, sessionTime: 300, inputOctets: 5n * GiB4 + 7n, outputOctets: 1000 }, SECRET));
    await ok(accountingRequest({ ...base, statusType: 'Stop', eventTimestamp: t + 600, sessionTime: 600, inputOctets: 6n * GiB4, outputOctets: 2000, terminateCause: 'User-Request' }, SECRET));

    const rows = await sessionRows();
    expect(rows).to.have.length(1);
    const s = rows[0];
    expect(s).to.include({ username: 'alice', provisioned: false, port_key: '12', acct_session_id: 'A1', framed_host: '100.64.1.2' });
    expect(s.login.toISOString()).to.equal(new Date(t * 1000).toISOString());
    expect(s.logout.toISOString()).to.equal(new Date((t + 600) * 1000).toISOString());
    expect(s).to.include({ input_octets: 6n * GiB4, output_octets: 2000n, session_time: 600n, interim_count: 1 });
    expect(s).to.include({ close_reason: 'stop', terminate_cause: 'User-Request', logout_estimated: false });
    expect(s.flags).to.deep.equal([]);

    const journal = await listJournal(knex());
    expect(journal.map((j) => j.status_type)).to.deep.equal(['Start', 'Interim-Update', 'Stop']);
    expect(journal.map((j) => j.session_id)).to.deep.equal([s.id, s.id, s.id]);
    await ctx.server.listener.flushTally();
    const nas = await knex()('nas').where({ id: ctx.nasId }).first();
    expect(nas.accepted).to.equal(3n);
    expect(nas.last_seen).to.be.instanceOf(Date);
    // The last packet said its event was at t+600 and arrived now.
    expect(Number(nas.clock_skew_seconds)).to.be.closeTo(t + 600 - Math.floor(Date.now() / 1000), 5);
  });

  it('an identical retransmission gets the same response and is not processed again', async () => {
    const datagram = accountingRequest({ statusType: 'Start', sessionId: 'R1', userName: 'bob', nasPort: 1 }, SECRET);
    const first = await ok(datagram);
    const second = await ok(datagram);
    expect(second.toString('hex')).to.equal(first.toString('hex'));
    expect(await knex()('journal').count({ n: '*' }).first()).to.deep.equal({ n: 1n });
    await ctx.server.listener.flushTally();
    expect((await knex()('nas').where({ id: ctx.nasId }).first()).duplicates).to.equal(1n);
  });

  it('a retransmission with a new Identifier and a larger Acct-Delay-Time changes nothing', async () => {
    const spec = { statusType: 'Interim-Update' as const, sessionId: 'R2', userName: 'bob', nasPort: 2, sessionTime: 300, inputOctets: 10, outputOctets: 20 };
    await ok(accountingRequest({ ...spec, delay: 0 }, SECRET));
    const before = (await sessionRows())[0];
    await ok(accountingRequest({ ...spec, delay: 3 }, SECRET));
    const after = (await sessionRows())[0];
    expect(after).to.include({ interim_count: 1, input_octets: 10n, output_octets: 20n });
    expect(after.login.getTime()).to.be.closeTo(before.login.getTime(), 4000);
    expect(await knex()('sessions').count({ n: '*' }).first()).to.deep.equal({ n: 1n });
  });

  it('Status-Server with a Message-Authenticator gets an Accounting-Response and counts as a heartbeat', async () => {
    const datagram = statusServer(SECRET);
    await ok(datagram);
    await ctx.server.listener.flushTally();
    const nas = await knex()('nas').where({ id: ctx.nasId }).first();
    expect(nas.last_seen).to.be.instanceOf(Date);
    expect((await listJournal(knex()))[0]!.code).to.equal('Status-Server');
  });

  it('Accounting-On closes the NAS open sessions that began before it, and records the restart', async () => {
    const t = Math.floor(Date.now() / 1000) - 1000;
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'O1', userName: 'u1', nasPort: 1, eventTimestamp: t }, SECRET));
    await ok(accountingRequest({ statusType: 'Interim-Update', sessionId: 'O1', userName: 'u1', nasPort: 1, eventTimestamp: t + 100, sessionTime: 100, inputOctets: 9, outputOctets: 9 }, SECRET));
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'O2', userName: 'u2', nasPort: 2, eventTimestamp: t + 500 }, SECRET));
    await ok(accountingRequest({ statusType: 'Accounting-On', eventTimestamp: t + 400 }, SECRET));
    const rows = await sessionRows();
    const o1 = rows.find((r) => r.acct_session_id === 'O1');
    const o2 = rows.find((r) => r.acct_session_id === 'O2');
    expect(o1).to.include({ close_reason: 'nas_restart', terminate_cause: 'NAS-Reboot', logout_estimated: true, input_octets: 9n });
    expect(o1.logout.toISOString()).to.equal(new Date((t + 400) * 1000).toISOString());
    expect(o2.logout).to.equal(null);
    const nas = await knex()('nas').where({ id: ctx.nasId }).first();
    expect(nas.last_restart.toISOString()).to.equal(new Date((t + 400) * 1000).toISOString());
    // The NAS's own Stop for O1 arrives later: it is authoritative.
    await ok(accountingRequest({ statusType: 'Stop', sessionId: 'O1', userName: 'u1', nasPort: 1, eventTimestamp: t + 350, sessionTime: 350, inputOctets: 11, outputOctets: 12, terminateCause: 'Lost-Carrier' }, SECRET));
    const o1b = (await sessionRows()).find((r) => r.acct_session_id === 'O1');
    expect(o1b).to.include({ close_reason: 'stop', terminate_cause: 'Lost-Carrier', logout_estimated: false, input_octets: 11n });
    expect(o1b.logout.toISOString()).to.equal(new Date((t + 350) * 1000).toISOString());
  });

  it('autoclose: a new session on a busy port supersedes the older one; the database holds one open per port', async () => {
    const t = Math.floor(Date.now() / 1000) - 1000;
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'P1', userName: 'old', nasPortId: 'eth0/1', eventTimestamp: t }, SECRET));
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'P2', userName: 'new', nasPortId: 'eth0/1', eventTimestamp: t + 60 }, SECRET));
    const [p1, p2] = await sessionRows();
    expect(p1).to.include({ close_reason: 'superseded', logout_estimated: true });
    expect(p1.logout.toISOString()).to.equal(new Date((t + 60) * 1000).toISOString());
    expect(p1.flags).to.include('port_conflict');
    expect(p2.logout).to.equal(null);
    expect(p2.flags).to.include('port_conflict');
    const dup = await knex()('sessions')
      .insert({ nas_id: p2.nas_id, port_id: p2.port_id, account_id: p2.account_id, acct_session_id: 'X', login: new Date(), last_update: new Date(), exclusive_port: true })
      .then(
      () => null,
      (e: { code: string; constraint?: string }) => e,
    );
    expect(dup?.code).to.equal('23505');
  });

  it('flag policy: both sessions stay open and are flagged port_conflict', async () => {
    await knex()('nas').where({ id: ctx.nasId }).update({ port_policy: 'flag' });
    await ctx.server.listener.reloadNas();
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'F1', userName: 'a', nasPort: 5 }, SECRET));
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'F2', userName: 'b', nasPort: 5 }, SECRET));
    const rows = await sessionRows();
    expect(rows.map((r) => [r.logout, r.flags])).to.deep.equal([[null, ['port_conflict']], [null, ['port_conflict']]]);
  });

  it('ignore policy: sessions on one port are independent', async () => {
    await knex()('nas').where({ id: ctx.nasId }).update({ port_policy: 'ignore' });
    await ctx.server.listener.reloadNas();
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'I1', userName: 'a', nasPort: 0 }, SECRET));
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'I2', userName: 'b', nasPort: 0 }, SECRET));
    const rows = await sessionRows();
    expect(rows.map((r) => r.logout)).to.deep.equal([null, null]);
    expect(rows.map((r) => r.flags)).to.deep.equal([[], []]);
  });

  it('event time: Event-Timestamp wins over Acct-Delay-Time; otherwise arrival − delay; a delay over 7 days is flagged', async () => {
    const et = Math.floor(Date.now() / 1000) - 7200;
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'E1', userName: 'e', nasPort: 1, eventTimestamp: et, delay: 60 }, SECRET));
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'E2', userName: 'e', nasPort: 2, delay: 120 }, SECRET));
    await ok(accountingRequest({ statusType: 'Start', sessionId: 'E3', userName: 'e', nasPort: 3, delay: 10 * 86400 }, SECRET));
    const rows = await sessionRows();
    const now = Date.now();
    expect(rows[0].login.getTime()).to.equal(et * 1000);
    expect(rows[1].login.getTime()).to.be.closeTo(now - 120_000, 10_000);
    expect(rows[2].login.getTime()).to.be.closeTo(now, 10_000);
    expect(rows[2].flags).to.deep.equal(['implausible_delay']);
  });

  it('Failed and other status types are acknowledged and journaled but change no session', async () => {
    await ok(accountingRequest({ statusType: 15, sessionId: 'X1', userName: 'f', nasPort: 1 }, SECRET));
    expect(await knex()('sessions').count({ n: '*' }).first()).to.deep.equal({ n: 0n });
    const [j] = await listJournal(knex());
    expect(j).to.include({ status_type: 'Failed', action: 'journal_only' });
  });

  it('a NAS added while the listener runs is accepted without a restart', async () => {
    await knex()('nas').where({ id: ctx.nasId }).delete();
    await ctx.server.listener.reloadNas();
    const datagram = accountingRequest({ statusType: 'Start', sessionId: 'N1', userName: 'n', nasPort: 1 }, 'new-secret');
    expect(await ctx.server.client.request(datagram, 300)).to.equal(null);
    await insertNas(knex(), '127.0.0.1', { secret: 'new-secret' });
    // No explicit reload: the listener polls the nas table.
    let response: Buffer | null = null;
    for (let i = 0; i < 40 && !response; i++) {
      response = await ctx.server.client.request(accountingRequest({ statusType: 'Start', sessionId: 'N1', userName: 'n', nasPort: 1 }, 'new-secret'), 250);
    }
    expect(response).to.not.equal(null);
  });

  it('SIGTERM-style stop answers everything already accepted', async () => {
    const datagrams = Array.from({ length: 50 }, (_, i) =>
      accountingRequest({ statusType: 'Start', sessionId: `S${i}`, userName: `u${i}`, nasPort: i }, SECRET));
    for (const d of datagrams) await ctx.server.client.send(d);
    // Stop as soon as the listener has taken some of the datagrams, while their batches are in flight.
    const { listener, client } = ctx.server;
    await waitFor(async () => listener.ingest.pending + listener.tally.batches.packets > 0, 'the listener to take a datagram', 5000);
    await listener.stop();
    const stored = Number((await knex()('sessions').count({ n: '*' }).first())!.n);
    expect(stored, 'sessions stored').to.be.above(0);
    // Every answer left the socket before stop() resolved; wait for the client to have read them.
    await waitFor(async () => client.received.length >= stored, `${stored} responses`, 5000);
    expect(client.received.length, 'responses').to.equal(stored);
  });
});
