/** A session as the rules see it (domain type; the db layer maps it to the `sessions` row). */
export type CloseReason = 'stop' | 'nas_restart' | 'superseded' | 'stale';

export type SessionFlag =
  | 'missing_start'
  | 'late_start'
  | 'late_interim'
  | 'counter_regression'
  | 'counter_wrap'
  | 'unknown_duration'
  | 'implausible_delay'
  | 'implausible_event_timestamp'
  | 'implausible_session_time'
  | 'implausible_counter'
  | 'port_conflict'
  // brought in by `radtrack import radacct` from a FreeRADIUS radacct row (docs/cli.md "import radacct")
  | 'imported';

export interface Counters {
  sessionTime: bigint;
  inputOctets: bigint;
  outputOctets: bigint;
  inputPackets: bigint;
  outputPackets: bigint;
}

export const COUNTER_NAMES = ['sessionTime', 'inputOctets', 'outputOctets', 'inputPackets', 'outputPackets'] as const;

export interface SessionState extends Counters {
  /** Null until the session is written. */
  id: bigint | null;
  nasId: bigint;
  portId: bigint | null;
  accountId: bigint;
  acctSessionId: string;
  login: Date;
  logout: Date | null;
  lastUpdate: Date;
  framedIp: string | null;
  callingStationId: string | null;
  calledStationId: string | null;
  terminateCause: string | null;
  closeReason: CloseReason | null;
  logoutEstimated: boolean;
  flags: SessionFlag[];
  interimCount: number;
  exclusivePort: boolean;
}

/** The end of the time a session is known to cover: its logout, or its last update while open. */
export function coveredEnd(s: SessionState): Date {
  return s.logout ?? s.lastUpdate;
}

export function addFlag(s: SessionState, flag: SessionFlag): void {
  if (!s.flags.includes(flag)) s.flags.push(flag);
}

export function maxDate(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

