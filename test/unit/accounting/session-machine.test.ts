import { expect } from 'chai';
import type { NasRestartEvent, SessionEvent } from '../../../src/accounting/event.ts';
import type { SessionState } from '../../../src/accounting/session.ts';
import {
  applySessionEvent,
  closeForNasRestart,
  resolvePortConflict,
  type SessionPlace,
} from '../../../src/accounting/session-machine.ts';
import { usageSegments, usageSnapshot } from '../../../src/accounting/usage-delta.ts';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const place: SessionPlace = { nasId: 1n, portId: 7n, accountId: 3n, exclusivePort: true };

function ev(kind: SessionEvent['kind'], t: number, extra: Partial<SessionEvent> = {}): SessionEvent {
  return { kind, time: at(t), arrival: at(t), acctSessionId: 's1', username: 'alice', portKey: '7', counters: {}, flags: [], ...extra };
}
const counters = (sessionTime: number, input: bigint, output: bigint) => ({
  sessionTime: BigInt(sessionTime),
  inputOctets: input,
  outputOctets: output,
});

function started(t = 0): SessionState {
  return applySessionEvent(null, ev('start', t), place).session;
}

describe('session rules (accounting.md §4)', () => {
  describe('Start', () => {
    it('no session: creates it open with login = last_update = E', () => {
      const t = applySessionEvent(null, ev('start', 0), place);
      expect(t).to.include({ action: 'start', created: true });
      expect(t.session.login).to.deep.equal(at(0));
      expect(t.session.lastUpdate).to.deep.equal(at(0));
      expect(t.session.logout).to.equal(null);
      expect(t.session.inputOctets).to.equal(0n);
    });

    it('open after an Interim: login moves earlier, last_update and counters stay, missing_start becomes late_start', () => {
      const s = applySessionEvent(null, ev('interim', 300, { counters: counters(290, 1000n, 2000n) }), place).session;
      expect(s.flags).to.deep.equal(['missing_start']);
      const t = applySessionEvent(s, ev('start', 5), place);
      expect(t.action).to.equal('late_start');
      expect(s.login).to.deep.equal(at(5));
      expect(s.lastUpdate).to.deep.equal(at(300));
      expect(s.inputOctets).to.equal(1000n);
      expect(s.flags).to.deep.equal(['late_start']);
    });

    it('open: a later Start never moves login later', () => {
      const s = applySessionEvent(null, ev('interim', 300, { counters: counters(300, 1n, 1n) }), place).session;
      applySessionEvent(s, ev('start', 10), place);
      expect(s.login).to.deep.equal(at(0));
    });

    it('closed, E ≤ logout: a late duplicate changes nothing', () => {
      const s = started();
      applySessionEvent(s, ev('stop', 600, { counters: counters(600, 5n, 6n) }), place);
      const copy = structuredClone(s);
      const t = applySessionEvent(s, ev('start', 0), place);
      expect(t).to.include({ action: 'duplicate_start', created: false });
      expect(s).to.deep.equal(copy);
    });

    it('closed, E > logout: the NAS reused the Acct-Session-Id, a new session is made', () => {
      const s = started();
      applySessionEvent(s, ev('stop', 600), place);
      const t = applySessionEvent(s, ev('start', 601), place);
      expect(t.created).to.equal(true);
      expect(t.session).to.not.equal(s);
      expect(t.session.login).to.deep.equal(at(601));
    });
  });

  describe('Interim-Update', () => {
    it('open: counters, last_update and framed IP advance; interim_count counts it', () => {
      const s = started();
      applySessionEvent(s, ev('interim', 300, { counters: counters(300, 10n, 20n), framedIp: '100.64.0.9' }), place);
      expect(s).to.include({ inputOctets: 10n, outputOctets: 20n, sessionTime: 300n, interimCount: 1, framedIp: '100.64.0.9' });
      expect(s.lastUpdate).to.deep.equal(at(300));
    });

    it('an older Interim arriving late never lowers counters or last_update', () => {
      const s = started();
      applySessionEvent(s, ev('interim', 600, { counters: counters(600, 50n, 60n) }), place);
      applySessionEvent(s, ev('interim', 300, { counters: counters(300, 10n, 20n) }), place);
      expect(s).to.include({ inputOctets: 50n, outputOctets: 60n, sessionTime: 600n, interimCount: 1 });
      expect(s.lastUpdate).to.deep.equal(at(600));
      expect(s.flags).to.not.include('counter_regression');
    });

    it('a counter that goes down in a newer packet is kept and flagged counter_regression', () => {
      const s = started();
      applySessionEvent(s, ev('interim', 300, { counters: counters(300, 500n, 60n) }), place);
      applySessionEvent(s, ev('interim', 600, { counters: counters(600, 100n, 90n) }), place);
      expect(s).to.include({ inputOctets: 500n, outputOctets: 90n });
      expect(s.flags).to.include('counter_regression');
    });

    it('a retransmitted Interim (same Acct-Session-Time) is not counted twice', () => {
      const s = started();
      applySessionEvent(s, ev('interim', 300, { counters: counters(300, 10n, 20n) }), place);
      applySessionEvent(s, ev('interim', 301, { counters: counters(300, 10n, 20n) }), place);
      expect(s.interimCount).to.equal(1);
    });

    it('no session: creates it open with login = E − Acct-Session-Time, flag missing_start', () => {
      const t = applySessionEvent(null, ev('interim', 900, { counters: counters(600, 1n, 2n) }), place);
      expect(t).to.include({ action: 'interim_without_start', created: true });
      expect(t.session.login).to.deep.equal(at(300));
      expect(t.session.logout).to.equal(null);
      expect(t.session.flags).to.deep.equal(['missing_start']);
    });

    it('closed: stays closed, counters only grow, flag late_interim', () => {
      const s = started();
      applySessionEvent(s, ev('stop', 600, { counters: counters(600, 100n, 100n) }), place);
      const t = applySessionEvent(s, ev('interim', 300, { counters: counters(300, 50n, 200n) }), place);
      expect(t.action).to.equal('late_interim');
      expect(s.logout).to.deep.equal(at(600));
      expect(s).to.include({ inputOctets: 100n, outputOctets: 200n });
      expect(s.flags).to.include('late_interim');
    });
  });

  describe('Stop', () => {
    it('open: closes it with logout = E, final counters, terminate cause, close_reason stop', () => {
      const s = started();
      const t = applySessionEvent(s, ev('stop', 900, { counters: counters(900, 7n, 8n), terminateCause: 'User-Request' }), place);
      expect(t.action).to.equal('stop');
      expect(s.logout).to.deep.equal(at(900));
      expect(s).to.include({ closeReason: 'stop', terminateCause: 'User-Request', inputOctets: 7n, logoutEstimated: false });
    });

    it('a Stop without octets changes no counter (FR bug: it would write 0)', () => {
      const s = started();
      applySessionEvent(s, ev('interim', 300, { counters: counters(300, 70n, 80n) }), place);
      applySessionEvent(s, ev('stop', 600), place);
      expect(s).to.include({ inputOctets: 70n, outputOctets: 80n });
    });

    it('no session: creates it closed with login = E − Acct-Session-Time, flag missing_start', () => {
      const t = applySessionEvent(null, ev('stop', 900, { counters: counters(900, 1n, 1n) }), place);
      expect(t).to.include({ action: 'stop_without_start', created: true });
      expect(t.session.login).to.deep.equal(at(0));
      expect(t.session.logout).to.deep.equal(at(900));
      expect(t.session.flags).to.deep.equal(['missing_start']);
    });

    it('no session and no Acct-Session-Time: login = E, flags missing_start and unknown_duration', () => {
      const t = applySessionEvent(null, ev('stop', 900), place);
      expect(t.session.login).to.deep.equal(at(900));
      expect(t.session.flags).to.have.members(['missing_start', 'unknown_duration']);
    });

    it('closed by a Stop already: a duplicate changes nothing (FR bug: a second Stop rewrites the row)', () => {
      const s = started();
      applySessionEvent(s, ev('stop', 900, { counters: counters(900, 5n, 5n), terminateCause: 'User-Request' }), place);
      const copy = structuredClone(s);
      const t = applySessionEvent(s, ev('stop', 950, { counters: counters(900, 9n, 9n), terminateCause: 'Lost-Carrier' }), place);
      expect(t.action).to.equal('duplicate_stop');
      expect(s).to.deep.equal(copy);
    });

    it('closed by radtrack (estimate): the NAS Stop is authoritative', () => {
      const s = started();
      applySessionEvent(s, ev('interim', 300, { counters: counters(300, 5n, 5n) }), place);
      closeForNasRestart(s, { kind: 'accounting-on', time: at(1000), arrival: at(1000), flags: [] });
      expect(s).to.include({ closeReason: 'nas_restart', logoutEstimated: true, terminateCause: 'NAS-Reboot' });
      const t = applySessionEvent(s, ev('stop', 400, { counters: counters(400, 9n, 9n), terminateCause: 'Lost-Carrier' }), place);
      expect(t.action).to.equal('stop_overrides_estimate');
      expect(s.logout).to.deep.equal(at(400));
      expect(s).to.include({ closeReason: 'stop', logoutEstimated: false, terminateCause: 'Lost-Carrier', inputOctets: 9n });
    });

    it('a Stop whose login (E − Acct-Session-Time) is after a closed session ends is a new session', () => {
      const s = started();
      applySessionEvent(s, ev('stop', 100), place);
      const t = applySessionEvent(s, ev('stop', 1000, { counters: counters(500, 1n, 1n) }), place);
      expect(t.created).to.equal(true);
      expect(t.session.login).to.deep.equal(at(500));
    });
  });

  describe('Accounting-On/Off', () => {
    const restart = (t: number): NasRestartEvent => ({ kind: 'accounting-on', time: at(t), arrival: at(t), flags: [] });

    it('closes an open session that began at or before E: nas_restart, NAS-Reboot, estimated', () => {
      const s = started(0);
      expect(closeForNasRestart(s, restart(500))).to.equal(true);
      expect(s.logout).to.deep.equal(at(500));
      expect(s).to.include({ closeReason: 'nas_restart', terminateCause: 'NAS-Reboot', logoutEstimated: true });
    });

    it('a session that started after E stays open', () => {
      const s = started(600);
      expect(closeForNasRestart(s, restart(500))).to.equal(false);
      expect(s.logout).to.equal(null);
    });
  });
});

describe('port conflicts (accounting.md §6)', () => {
  function openAt(login: number, lastUpdate = login): SessionState {
    const s = applySessionEvent(null, ev('start', login, { acctSessionId: `s${login}` }), place).session;
    s.lastUpdate = at(lastUpdate);
    return s;
  }

  it('autoclose: the older session closes at the newer login, superseded, both flagged', () => {
    const older = openAt(0);
    const newer = openAt(100);
    const changed = resolvePortConflict(newer, [older], 'autoclose');
    expect(changed).to.have.members([older, newer]);
    expect(older.logout).to.deep.equal(at(100));
    expect(older).to.include({ closeReason: 'superseded', logoutEstimated: true });
    expect(older.flags).to.include('port_conflict');
    expect(newer.flags).to.include('port_conflict');
    expect(newer.logout).to.equal(null);
  });

  it('autoclose: never closes before the older session last update', () => {
    const older = openAt(0, 500);
    const newer = openAt(100);
    resolvePortConflict(newer, [older], 'autoclose');
    expect(older.logout).to.deep.equal(at(500));
  });

  it('autoclose: a late-created session older than the open one is the one closed', () => {
    const current = openAt(100);
    const late = openAt(0);
    resolvePortConflict(late, [current], 'autoclose');
    expect(late.logout).to.deep.equal(at(100));
    expect(current.logout).to.equal(null);
  });

  it('flag: both stay open, both flagged', () => {
    const older = openAt(0);
    const newer = openAt(100);
    resolvePortConflict(newer, [older], 'flag');
    expect(older.logout).to.equal(null);
    expect(older.flags).to.include('port_conflict');
    expect(newer.flags).to.include('port_conflict');
  });

  it('ignore: nothing changes', () => {
    const older = openAt(0);
    const newer = openAt(100);
    expect(resolvePortConflict(newer, [older], 'ignore')).to.deep.equal([]);
    expect(older.flags).to.deep.equal([]);
  });
});

describe('usage segments (accounting.md §9)', () => {
  it('an Interim adds the covered time since the last update, with its octet growth spread over it', () => {
    const s = started();
    const before = usageSnapshot(s);
    applySessionEvent(s, ev('interim', 300, { counters: counters(300, 10n, 20n) }), place);
    expect(usageSegments(before, s)).to.deep.equal([{ t0: at(0), t1: at(300), seconds: 300, inputOctets: 10n, outputOctets: 20n }]);
  });

  it('a late Start adds the time before the old login; a Stop that shortens an estimate subtracts', () => {
    const s = applySessionEvent(null, ev('interim', 300, { counters: counters(200, 0n, 0n) }), place).session;
    let before = usageSnapshot(s);
    applySessionEvent(s, ev('start', 50), place);
    expect(usageSegments(before, s)).to.deep.equal([{ t0: at(50), t1: at(100), seconds: 50, inputOctets: 0n, outputOctets: 0n }]);
    closeForNasRestart(s, { kind: 'accounting-off', time: at(1000), arrival: at(1000), flags: [] });
    before = usageSnapshot(s);
    applySessionEvent(s, ev('stop', 400, { counters: counters(350, 4n, 0n) }), place);
    expect(usageSegments(before, s)).to.deep.equal([
      { t0: at(400), t1: at(1000), seconds: -600, inputOctets: 0n, outputOctets: 0n },
      { t0: at(300), t1: at(400), seconds: 0, inputOctets: 4n, outputOctets: 0n },
    ]);
  });
});
