// Development fixtures from seeds/ (never run by the listener). Each seed file exports
// `seed(knex)`, which must be idempotent and may return a line saying what it did.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

const SEEDS_DIR = fileURLToPath(new URL('../../seeds/', import.meta.url));

interface SeedModule {
  seed(knex: Knex): Promise<string | void>;
}

export interface SeedOutcome {
  seed: string;
  result: string;
}

export async function runSeeds(knex: Knex): Promise<SeedOutcome[]> {
  const files = readdirSync(SEEDS_DIR)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  const outcomes: SeedOutcome[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(SEEDS_DIR, file)).href)) as SeedModule;
    const result = await mod.seed(knex);
    outcomes.push({ seed: file.replace(/\.(ts|js)$/, ''), result: result || 'done' });
  }
  return outcomes;
}
