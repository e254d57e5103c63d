// reconcile's arguments; what it closes is tested in test/reconcile/.
import { expectFailure, radtrack } from '../helpers/cli.ts';

describe('cli: reconcile arguments', () => {
  it('--stale-after is 1 s to 366 days: more is refused (2), not passed on to overflow int4 in SQL', async () => {
    const r = await radtrack(['reconcile', '--stale-after', '100000w']);
    expectFailure(r, 2, /^radtrack: --stale-after: "100000w" \(60480000000 s\) is out of range; use 1 s to 31622400 s \(366d\)\n$/);
  });
});
