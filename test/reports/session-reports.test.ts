import { expect } from 'chai';
import { conflictSessions, onlineSessions, whoHeld } from '../../src/db/sql/sessions.ts';
import { testKnex } from '../helpers/db.ts';
import { at, cleanDatabase, recordSession } from '../helpers/fixtures.ts';

// The session object of cli.md "Output".
const SESSION_FIELDS = [
  'id', 'username', 'nas_ip', 'nas_port', 'acct_session_id', 'login', 'logout', 'last_update', 'status', 'close_reason',
  'terminate_cause', 'session_time', 'input_octets', 'output_octets', 'framed_ip', 'calling_station_id', 'logout_estimated', 'flags',
];

describe('session reports', () => {
  let nas1: bigint;
  let nas2: bigint;
  let alice: bigint;
  let bob: bigint;

  beforeEach(async () => {
    [[nas1, nas2], { alice, bob }] = await cleanDatabase(['192.0.2.1', '192.0.2.2'], ['alice', 'bob']);
  });

  describe('who held an IP', () => {
    beforeEach(async () => {
      // alice holds 10.0.0.5 over [10:00, 12:00); bob gets it at 12:00 and still has it.
      await recordSession(testKnex(), {
        nasId: nas1, accountId: alice, framedIp: '10.0.0.5', login: at('2026-10-01T10:00:00Z'),
        stop: { at: at('2026-10-01T12:00:00Z'), input: 1n, output: 1n },
      });
      await recordSession(testKnex(), { nasId: nas1, accountId: bob, framedIp: '10.0.0.5', login: at('2026-10-01T12:00:00Z') });
    });

    const who = async (iso: string) => (await whoHeld(testKnex(), '10.0.0.5', at(iso))).map((s) => s.username);

    it('answers the session whose login is exactly the instant', async () => {
      expect(await who('2026-10-01T10:00:00Z')).to.deep.equal(['alice']);
    });
    it('gives the logout instant to the next holder only', async () => {
      expect(await who('2026-10-01T11:59:59Z')).to.deep.equal(['alice']);
      expect(await who('2026-10-01T12:00:00Z')).to.deep.equal(['bob']);
    });
    it('answers an open session at any later instant, and nobody before the first login', async () => {
      expect(await who('2027-01-01T00:00:00Z')).to.deep.equal(['bob']);
      expect(await who('2026-10-01T09:59:59Z')).to.deep.equal([]);
      expect(await whoHeld(testKnex(), '10.0.0.6', at('2026-10-01T11:00:00Z'))).to.deep.equal([]);
    });
    it('returns cli.md session objects', async () => {
      const [s] = await whoHeld(testKnex(), '10.0.0.5', at('2026-10-01T11:00:00Z'));
      expect(s).to.include.all.keys(...SESSION_FIELDS);
      expect(s!.status).to.equal('closed');
      expect(s!.nas_ip).to.equal('192.0.2.1');
      expect(s!.framed_ip).to.equal('10.0.0.5');
    });
  });

  it('online: counts open sessions, all or of one NAS', async () => {
    for (const [nasId, accountId] of [[nas1, alice], [nas1, bob], [nas2, alice]] as const) {
      await recordSession(testKnex(), { nasId, accountId, login: at('2026-10-01T10:00:00Z') });
    }
    await recordSession(testKnex(), {
      nasId: nas2, accountId: bob, login: at('2026-10-01T09:00:00Z'),
      stop: { at: at('2026-10-01T09:30:00Z'), input: 0n, output: 0n },
    });
    const all = await onlineSessions(testKnex());
    expect(all.count).to.equal(3);
    expect(all.sessions.map((s) => s.status)).to.deep.equal(['open', 'open', 'open']);
    const one = await onlineSessions(testKnex(), { nasIp: '192.0.2.2' });
    expect([one.count, one.sessions.map((s) => s.username)]).to.deep.equal([1, ['alice']]);
    const limited = await onlineSessions(testKnex(), { limit: 1 });
    expect([limited.count, limited.sessions.length]).to.deep.equal([3, 1]);
  });

  it('conflicts: sessions flagged port_conflict, or only the open ones', async () => {
    const closed = await recordSession(testKnex(), {
      nasId: nas1, accountId: alice, port: '7', flags: ['port_conflict'], login: at('2026-10-01T10:00:00Z'),
      stop: { at: at('2026-10-01T11:00:00Z'), input: 0n, output: 0n, reason: 'superseded' },
    });
    const open = await recordSession(testKnex(), { nasId: nas1, accountId: bob, port: '7', flags: ['port_conflict'], login: at('2026-10-01T11:00:00Z') });
    await recordSession(testKnex(), { nasId: nas1, accountId: bob, port: '8', flags: ['late_start'], login: at('2026-10-01T11:00:00Z') });
    expect((await conflictSessions(testKnex())).map((s) => s.id)).to.deep.equal([open, closed]);
    const unresolved = await conflictSessions(testKnex(), { open: true });
    expect(unresolved.map((s) => [s.id, s.nas_port, s.flags])).to.deep.equal([[open, '7', ['port_conflict']]]);
  });
});
