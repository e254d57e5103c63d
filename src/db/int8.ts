import pg from 'pg';

// Counters are 64-bit (Gigawords): int8 comes back as bigint everywhere, decided once, here, for every
// node-postgres client of the process (knex's pool and the ingest lanes alike). sum(bigint) is numeric and
// stays a string; queries cast it back to int8 where a counter is wanted.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => BigInt(v));
