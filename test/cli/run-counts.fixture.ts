// Loaded only by test/cli/run-counts.test.ts, through a nested `npm test`: its titles and output print
// what a text-scraping runner would read as counts ("7 passing", "3 failing").
import { expect } from 'chai';

describe('RUN-COUNTS-FIXTURE', () => {
  it('prints 7 passing and 3 failing, and passes', () => {
    console.log('  7 passing\n  3 failing\n  5 pending');
  });
  it('fails', () => {
    expect(1).to.equal(2);
  });
  it.skip('is pending', () => undefined);
});
