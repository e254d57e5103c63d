// The session rules themselves are the rule table (test/helpers/rule-cases.ts, replayed by rule-cases.test.ts here
// and in test/db/); what the table checks only as totals is checked here in detail: the usage segments of a change.
import { expect } from 'chai';
import type { SessionState } from '../../../src/accounting/session.ts';
import { applySessionEvent, closeForNasRestart, type SessionPlace } from '../../../src/accounting/session-machine.ts';
import { usageSegments, usageSnapshot } from '../../../src/accounting/usage-delta.ts';
import { at, ev } from '../../helpers/fixtures.ts';

const place: SessionPlace = { nasId: 1n, portId: 7n, accountId: 3n, exclusivePort: true };

const counters = (sessionTime: number, input: bigint, output: bigint) => ({
  sessionTime: BigInt(sessionTime),
  inputOctets: input,
  outputOctets: output,
});

function started(t = 0): SessionState {
  return applySessionEvent(null, ev('start', t), place).session;
}

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
