// A NAS for local testing with radclient / radperf on this machine (secret "testing123", as FreeRADIUS ships).
import type { Knex } from 'knex';

export async function seed(knex: Knex): Promise<string> {
  const rows = await knex('nas')
    .insert({ address: '127.0.0.1', name: 'dev-loopback', secret: 'testing123' })
    .onConflict('address')
    .ignore()
    .returning('id');
  return rows.length > 0 ? 'registered NAS 127.0.0.1 "dev-loopback"' : 'a NAS 127.0.0.1 is already registered; left unchanged';
}
