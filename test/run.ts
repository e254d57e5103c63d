// `npm test`: the whole suite on the embedded backend (always) and, when DATABASE_URL names a PostgreSQL
// server, first on a fresh database of that server. Ends with one line "N passed, N failed".
//
// This file is also the mocha reporter of those runs: mocha's spec output for people, plus the run's own
// counts (mocha's stats) written as JSON to the file named by RADTRACK_TEST_STATS_FILE. The counts come from
// mocha, not from reading its text. Mocha loads reporters with require(), which tsx serves by compiling this
// file to CommonJS: hence no top-level await here, and main() runs only when this file is the program.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Mocha from 'mocha';

const STATS_FILE_ENV = 'RADTRACK_TEST_STATS_FILE';

export default class SpecWithStats extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const file = process.env[STATS_FILE_ENV];
    if (file) runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => writeFileSync(file, JSON.stringify(this.stats)));
  }
}

interface Outcome {
  backend: string;
  passed: number;
  failed: number;
  pending: number;
  code: number;
}

/** The stats the reporter wrote, or null when the run died before its end (setup failed, crash). */
function readStats(file: string): Mocha.Stats | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Mocha.Stats;
  } catch {
    return null;
  }
}

/** The whole suite, when the arguments name no test files of their own. */
const SUITE = 'test/**/*.test.ts';

// Mocha options whose next argument is their value, not a test file.
const VALUE_OPTIONS = new Set([
  '--config', '--require', '-r', '--reporter', '-R', '--reporter-option', '-O', '--file', '--ignore', '--exclude',
  '--extension', '--grep', '-g', '--fgrep', '-f', '--timeout', '-t', '--slow', '-s', '--retries', '--jobs', '-j',
  '--ui', '-u', '--node-option', '-n', '--package',
]);

/**
 * `npm test -- test/db/x.test.ts` runs that file alone: mocha adds positional files to a config's spec instead of
 * replacing it, so the suite's glob is given here, and only when no test file (an existing path or a glob) is named.
 */
export function mochaArgs(extraArgs: readonly string[]): string[] {
  const namesFiles = extraArgs.some((a, i) => !a.startsWith('-') && !VALUE_OPTIONS.has(extraArgs[i - 1] ?? '') && (existsSync(a) || a.includes('*')));
  return namesFiles ? [...extraArgs] : [...extraArgs, SUITE];
}

function runMocha(backend: string, env: NodeJS.ProcessEnv, extraArgs: string[]): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'radtrack-test-stats-'));
  const statsFile = join(dir, 'stats.json');
  return new Promise((resolve) => {
    console.log(`\n=== mocha on the ${backend} backend ===`);
    const reporter = fileURLToPath(import.meta.url);
    const child = spawn(process.execPath, ['node_modules/mocha/bin/mocha.js', '--reporter', reporter, '--no-color', ...mochaArgs(extraArgs)], {
      env: { ...env, RADTRACK_TEST_BACKEND: backend, [STATS_FILE_ENV]: statsFile },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('close', (code) => {
      const stats = readStats(statsFile);
      rmSync(dir, { recursive: true, force: true });
      const outcome = { backend, passed: stats?.passes ?? 0, failed: stats?.failures ?? 0, pending: stats?.pending ?? 0, code: code ?? 1 };
      // A run that died before its summary, or failed outside any test, counts as one failure.
      if (outcome.code !== 0 && outcome.failed === 0) outcome.failed = 1;
      resolve(outcome);
    });
  });
}

async function main(): Promise<void> {
  const extraArgs = process.argv.slice(2);
  const serverUrl = process.env.DATABASE_URL;
  const env = { ...process.env };
  delete env.DATABASE_URL; // tests choose their database explicitly
  const outcomes: Outcome[] = [];
  // The import tests' source databases (test/import/) are made on that server, whatever the backend under test.
  if (serverUrl) env.RADTRACK_TEST_SOURCE_SERVER_URL = serverUrl;
  if (serverUrl) outcomes.push(await runMocha('postgres', { ...env, RADTRACK_TEST_SERVER_URL: serverUrl }, extraArgs));
  else console.log('DATABASE_URL is not set: skipping the PostgreSQL server backend (embedded only).');
  outcomes.push(await runMocha('embedded', env, extraArgs));

  console.log('');
  for (const o of outcomes) console.log(`${o.backend}: ${o.passed} passed, ${o.failed} failed, ${o.pending} pending`);
  const passed = outcomes.reduce((n, o) => n + o.passed, 0);
  const failed = outcomes.reduce((n, o) => n + o.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || outcomes.some((o) => o.code !== 0) ? 1 : 0;
}

const isProgram = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isProgram) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
