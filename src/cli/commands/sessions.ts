import { DEFAULT_SESSION_LIMIT, listSessions, type SessionRow } from '../../db/sql/sessions.ts';
import { parseIp, parsePositiveInt, parseTime } from '../args.ts';
import { defineCommand, withDatabase } from '../context.ts';
import { printRows, showBytes, showDuration, type Column } from '../output.ts';

/** All fields in json/csv; the table keeps what fits a terminal. */
export const SESSION_COLUMNS: readonly Column<SessionRow>[] = [
  'id',
  'username',
  'nas_ip',
  'nas_port',
  { key: 'acct_session_id', inTable: false },
  'login',
  'logout',
  { key: 'last_update', inTable: false },
  'status',
  { key: 'close_reason', inTable: false },
  { key: 'terminate_cause', inTable: false },
  { key: 'session_time', header: 'time', show: showDuration },
  { key: 'input_octets', header: 'input', show: showBytes },
  { key: 'output_octets', header: 'output', show: showBytes },
  { key: 'input_packets', inTable: false },
  { key: 'output_packets', inTable: false },
  'framed_ip',
  { key: 'calling_station_id', inTable: false },
  { key: 'called_station_id', inTable: false },
  { key: 'logout_estimated', inTable: false },
  'flags',
  { key: 'interim_count', inTable: false },
];

export const sessionsCommand = defineCommand({
  command: 'sessions',
  describe: 'list sessions, newest login first',
  builder: (y) =>
    y
      .option('open', { type: 'boolean', default: false, describe: 'only open sessions' })
      .option('account', { type: 'string', describe: 'only this username' })
      .option('nas', { type: 'string', describe: 'only this NAS address', coerce: (v: string) => parseIp(v, '--nas') })
      .option('ip', { type: 'string', describe: 'only this framed IP address', coerce: (v: string) => parseIp(v, '--ip') })
      .option('since', { type: 'string', describe: 'only sessions still running at or after T (ISO 8601; a bare date/time is read in --tz)' })
      .option('until', { type: 'string', describe: 'only sessions that began before T (ISO 8601; a bare date/time is read in --tz)' })
      .option('limit', { type: 'string', default: String(DEFAULT_SESSION_LIMIT), describe: 'at most N sessions', coerce: (v: string) => parsePositiveInt(v, '--limit') })
      .example('$0 sessions --open --nas 192.0.2.10', '')
      .example('$0 sessions --account alice --since 2026-11-01 --format csv', ''),
  handler: (argv) => {
    // Here, not in a coerce: a coerce cannot see --tz, and the times shown are in --tz too.
    const zone = argv.tz ?? 'UTC';
    const since = argv.since === undefined ? undefined : parseTime(argv.since, '--since', zone);
    const until = argv.until === undefined ? undefined : parseTime(argv.until, '--until', zone);
    return withDatabase(argv, 'sessions', async (knex) => {
      const rows = await listSessions(knex, { open: argv.open, username: argv.account, nasIp: argv.nas, framedIp: argv.ip, since, until, limit: argv.limit });
      printRows(rows, SESSION_COLUMNS, argv.format, { tz: argv.tz, empty: 'no sessions' });
    });
  },
});
