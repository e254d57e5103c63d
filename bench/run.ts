// `npm run bench`: the ingest benchmark with its defaults (5,000 sessions x 4 packets, 64 in flight, PostgreSQL at
// DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres). Arguments are passed through, e.g.
//   npm run bench -- --embedded
//   npm run bench -- --sessions 20000 --parallel 128 --batch-size 1000
// See bench/README.md.
import { main } from './ingest.ts';

const code = await main(process.argv.slice(2));
process.exit(code);
