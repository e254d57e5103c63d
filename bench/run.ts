// `npm run bench`: the whole ingest benchmark (bench/suite.ts): radtrack and FreeRADIUS side by side when
// FreeRADIUS is installed, radtrack's own figures otherwise. Arguments are passed through, e.g.
//   npm run bench -- --only compare,storm
//   npm run bench -- --full
// One configuration by itself: node --import tsx bench/ingest.ts --help. See bench/README.md.
import { main } from './suite.ts';

const code = await main(process.argv.slice(2));
process.exit(code);
