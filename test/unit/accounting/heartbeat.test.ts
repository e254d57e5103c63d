// The one quiet rule (src/accounting/heartbeat.ts): report nas, nas list and reconcile all take it from there.
import { expect } from 'chai';
import { isSilent, quietLimitSeconds } from '../../../src/accounting/heartbeat.ts';

const NOW = new Date('2026-11-22T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000);

describe('heartbeat: when a NAS is silent', () => {
  it('quiet limit: 3 × the interim interval, or --stale-after for every NAS', () => {
    expect([quietLimitSeconds(300), quietLimitSeconds(86_400), quietLimitSeconds(300, 60)]).to.deep.equal([900, 259_200, 60]);
  });

  it('silent only when nothing was heard for longer than the limit', () => {
    const cases = [900, 901].map((s) => [s, isSilent({ lastSeen: ago(s), createdAt: ago(10_000), interimInterval: 300 }, NOW)]);
    expect(cases).to.deep.equal([[900, false], [901, true]]);
  });

  it('never heard from: silence counts from registration', () => {
    const fresh = isSilent({ lastSeen: null, createdAt: ago(60), interimInterval: 300 }, NOW);
    const old = isSilent({ lastSeen: null, createdAt: ago(901), interimInterval: 300 }, NOW);
    expect({ fresh, old }).to.deep.equal({ fresh: false, old: true });
  });

  it('--stale-after overrides the interval for the NAS too', () => {
    const silent = isSilent({ lastSeen: ago(120), createdAt: ago(10_000), interimInterval: 300 }, NOW, 60);
    expect({ silent }).to.deep.equal({ silent: true });
  });
});
