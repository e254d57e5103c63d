// test/run.ts (npm test) takes its counts from mocha's own stats, whatever the tests print.
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { mochaArgs } from '../run.ts';

const ROOT = new URL('../../', import.meta.url);

/** `npm test <args>` on the embedded backend only: the last two lines of its stdout, and its exit code. */
function npmTest(args: readonly string[]): Promise<{ code: number; summary: string[] }> {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key === 'DATABASE_URL' || key.startsWith('RADTRACK_TEST_')) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, summary: stdout.trimEnd().split('\n').slice(-2) }));
  });
}

describe('npm test (test/run.ts)', function () {
  // Each case starts a whole embedded test run (database start, migrations): slow on a loaded machine.
  this.timeout(120_000);
  it('runs the files it is given, and the whole suite when given none', () => {
    expect({
      files: mochaArgs(['test/db/rule-cases.test.ts', 'test/unit/accounting/']),
      glob: mochaArgs(['test/unit/**/*.test.ts']),
      options: mochaArgs(['--grep', 'test/db', '--require', 'test/setup/global.ts']),
      none: mochaArgs([]),
    }).to.deep.equal({
      files: ['test/db/rule-cases.test.ts', 'test/unit/accounting/'],
      glob: ['test/unit/**/*.test.ts'],
      options: ['--grep', 'test/db', '--require', 'test/setup/global.ts', 'test/**/*.test.ts'],
      none: ['test/**/*.test.ts'],
    });
  });

  it('counts what mocha counted, not numbers in the test output', async () => {
    const r = await npmTest(['test/cli/run-counts.fixture.ts', '--grep', 'RUN-COUNTS-FIXTURE']);
    expect(r).to.deep.equal({ code: 1, summary: ['embedded: 1 passed, 1 failed, 1 pending', '1 passed, 1 failed'] });
  });

  it('a run that dies before its summary counts as a failure', async () => {
    const r = await npmTest(['--require', 'test/cli/no-such-file.ts']);
    expect(r).to.deep.equal({ code: 1, summary: ['embedded: 0 passed, 1 failed, 0 pending', '0 passed, 1 failed'] });
  });
});
