// `npm test`: the whole suite on the embedded backend (always) and, when DATABASE_URL names a PostgreSQL
// server, again on a fresh database of that server. Ends with one line "N passed, N failed".
import { spawn } from 'node:child_process';

interface Outcome {
  backend: string;
  passed: number;
  failed: number;
  pending: number;
  code: number;
}

function runMocha(backend: string, env: NodeJS.ProcessEnv, extraArgs: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    console.log(`\n=== mocha on the ${backend} backend ===`);
    const child = spawn(process.execPath, ['node_modules/mocha/bin/mocha.js', '--reporter', 'spec', '--no-color', ...extraArgs], {
      env: { ...env, RADTRACK_TEST_BACKEND: backend },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('close', (code) => {
      const count = (word: string) => Number(/(\d+) /.exec(out.match(new RegExp(`\\d+ ${word}`))?.[0] ?? '')?.[1] ?? 0);
      const outcome = { backend, passed: count('passing'), failed: count('failing'), pending: count('pending'), code: code ?? 1 };
      // A run that died before its summary (setup failed, crash) counts as one failure.
      if (outcome.code !== 0 && outcome.failed === 0) outcome.failed = 1;
      resolve(outcome);
    });
  });
}

const extraArgs = process.argv.slice(2);
const serverUrl = process.env.DATABASE_URL;
const env = { ...process.env };
delete env.DATABASE_URL; // tests choose their database explicitly
const outcomes: Outcome[] = [];
if (serverUrl) outcomes.push(await runMocha('postgres', { ...env, RADTRACK_TEST_SERVER_URL: serverUrl }, extraArgs));
else console.log('DATABASE_URL is not set: skipping the PostgreSQL server backend (embedded only).');
outcomes.push(await runMocha('embedded', env, extraArgs));

console.log('');
for (const o of outcomes) console.log(`${o.backend}: ${o.passed} passed, ${o.failed} failed, ${o.pending} pending`);
const passed = outcomes.reduce((n, o) => n + o.passed, 0);
const failed = outcomes.reduce((n, o) => n + o.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || outcomes.some((o) => o.code !== 0) ? 1 : 0;
