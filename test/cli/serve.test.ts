// `radtrack serve` flags: bad values are one line and exit 2 before anything is opened (docs/cli.md "serve").
import { expect } from 'chai';
import { expectFailure, radtrack } from '../helpers/cli.ts';

describe('radtrack serve flags', function () {
  this.timeout(60_000);

  it('--workers is the contract name of --writers, and is bounded like it', async () => {
    for (const flag of ['--workers', '--writers']) {
      const r = await radtrack(['serve', flag, '0', '--port', '0'], { db: false });
      expectFailure(r, 2, /--writers \/ RADTRACK_WRITERS: "0" is not a whole number in 1-16/);
    }
  });

  it('a bad port or batch size is refused with exit 2', async () => {
    const port = await radtrack(['serve', '--port', '70000'], { db: false });
    expectFailure(port, 2, /--port \/ RADTRACK_PORT: "70000" is not a whole number in 0-65535/);
    const batch = await radtrack(['serve', '--batch-size', '0', '--port', '0'], { db: false });
    expectFailure(batch, 2, /--batch-size: "0" is not a whole number in 1-5000/);
    expect([port.stdout, batch.stdout]).to.deep.equal(['', '']);
  });
});
