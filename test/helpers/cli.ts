// Running the real bin/radtrack against the test database.
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { cliDbArgs } from './db.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = new URL('../../', import.meta.url);

/** Runs `radtrack <args>` on the test database. Async: the embedded test database is served by this process. */
export function radtrack(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; db?: boolean } = {}): Promise<CliResult> {
  const env = { ...process.env, ...opts.env };
  delete env.DATABASE_URL; // the test database is chosen by cliDbArgs()
  if (!opts.env?.RADTRACK_NAS_SECRET) delete env.RADTRACK_NAS_SECRET;
  const dbArgs = opts.db === false ? [] : cliDbArgs();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/radtrack', ...dbArgs, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * Runs commands one after another. Not in parallel: concurrent clients of the embedded database's socket
 * currently get each other's prepared statements ("unnamed prepared statement does not exist").
 */
export async function radtrackEach(runs: readonly (readonly string[])[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult[]> {
  const results: CliResult[] = [];
  for (const args of runs) results.push(await radtrack(args, opts));
  return results;
}

/** Runs a command that must succeed with --format json, and parses its one JSON document. */
export async function radtrackJson<T = unknown>(args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<T> {
  const r = await radtrack([...args, '--format', 'json'], opts);
  expect(r.stderr, 'stderr').to.equal('');
  expect(r.code, 'exit code').to.equal(0);
  return JSON.parse(r.stdout) as T;
}

/** Asserts a failure: the exit code, and one line on stderr that matches. */
export function expectFailure(r: CliResult, code: number, line?: RegExp): void {
  expect(r.code, `exit code; stderr: ${r.stderr}`).to.equal(code);
  expect(r.stderr.trimEnd().split('\n'), 'one line on stderr').to.have.length(1);
  expect(r.stderr).to.match(/^radtrack: /);
  if (line) expect(r.stderr).to.match(line);
}
