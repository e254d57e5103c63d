// splitSegment (src/accounting/usage-delta.ts): an imported session's one usage segment in pieces of at most a day.
import { expect } from 'chai';
import { splitSegment } from '../../../src/accounting/usage-delta.ts';

const DAY = 86_400_000;

describe('accounting: splitSegment', () => {
  it('leaves a segment of at most the limit whole', () => {
    const s = { t0: new Date(0), t1: new Date(DAY), seconds: 86_400, inputOctets: 7n, outputOctets: 9n };
    expect(splitSegment(s, DAY)).to.deep.equal([s]);
  });

  it('cuts a longer one at the limit from t0, the parts adding up exactly to the octets and seconds', () => {
    const total = 3n * 2n ** 32n + 7n;
    const s = { t0: new Date(1000), t1: new Date(1000 + 2.5 * DAY), seconds: 2.5 * 86_400, inputOctets: total, outputOctets: 1n };
    const parts = splitSegment(s, DAY);
    expect(parts.map((p) => [p.t0.getTime(), p.t1.getTime()])).to.deep.equal([[1000, 1000 + DAY], [1000 + DAY, 1000 + 2 * DAY], [1000 + 2 * DAY, 1000 + 2.5 * DAY]]);
    expect(parts.reduce((n, p) => n + p.inputOctets, 0n)).to.equal(total);
    expect(parts.reduce((n, p) => n + p.outputOctets, 0n)).to.equal(1n);
    expect(parts.reduce((n, p) => n + p.seconds, 0)).to.equal(2.5 * 86_400);
    // Evenly: a full day holds floor(total · 1/2.5) of it, to the octet.
    expect(parts[0]!.inputOctets).to.equal((total * 2n) / 5n);
  });
});
