// Row types (snake_case, as the columns) and the one place they convert to domain types.
import type { CloseReason, SessionFlag, SessionState } from '../accounting/session.ts';

export interface DbSession {
  id: bigint;
  nas_id: bigint;
  port_id: bigint | null;
  account_id: bigint;
  acct_session_id: string;
  login: Date;
  logout: Date | null;
  last_update: Date;
  session_time: bigint;
  input_octets: bigint;
  output_octets: bigint;
  input_packets: bigint;
  output_packets: bigint;
  framed_ip: string | null;
  calling_station_id: string | null;
  called_station_id: string | null;
  terminate_cause: string | null;
  close_reason: CloseReason | null;
  logout_estimated: boolean;
  flags: SessionFlag[];
  interim_count: number;
  exclusive_port: boolean;
}

export function sessionFromRow(r: DbSession): SessionState {
  return {
    id: r.id,
    nasId: r.nas_id,
    portId: r.port_id,
    accountId: r.account_id,
    acctSessionId: r.acct_session_id,
    login: r.login,
    logout: r.logout,
    lastUpdate: r.last_update,
    sessionTime: r.session_time,
    inputOctets: r.input_octets,
    outputOctets: r.output_octets,
    inputPackets: r.input_packets,
    outputPackets: r.output_packets,
    framedIp: r.framed_ip,
    callingStationId: r.calling_station_id,
    calledStationId: r.called_station_id,
    terminateCause: r.terminate_cause,
    closeReason: r.close_reason,
    logoutEstimated: r.logout_estimated,
    flags: [...r.flags],
    interimCount: r.interim_count,
    exclusivePort: r.exclusive_port,
  };
}

/** The session as a JSON record for json_to_recordset: int8 as decimal strings (JSON has no 64-bit integers). */
export function sessionToRecord(s: SessionState): Record<string, unknown> {
  return {
    id: String(s.id),
    nas_id: String(s.nasId),
    port_id: s.portId === null ? null : String(s.portId),
    account_id: String(s.accountId),
    acct_session_id: s.acctSessionId,
    login: s.login.toISOString(),
    logout: s.logout?.toISOString() ?? null,
    last_update: s.lastUpdate.toISOString(),
    session_time: String(s.sessionTime),
    input_octets: String(s.inputOctets),
    output_octets: String(s.outputOctets),
    input_packets: String(s.inputPackets),
    output_packets: String(s.outputPackets),
    framed_ip: s.framedIp,
    calling_station_id: s.callingStationId,
    called_station_id: s.calledStationId,
    terminate_cause: s.terminateCause,
    close_reason: s.closeReason,
    logout_estimated: s.logoutEstimated,
    flags: s.flags,
    interim_count: s.interimCount,
    exclusive_port: s.exclusivePort,
  };
}

/** Column list and types of a session record, shared by the batched insert and update. */
export const SESSION_RECORD_COLUMNS = `
  id bigint, nas_id bigint, port_id bigint, account_id bigint, acct_session_id text,
  login timestamptz, logout timestamptz, last_update timestamptz,
  session_time bigint, input_octets bigint, output_octets bigint, input_packets bigint, output_packets bigint,
  framed_ip inet, calling_station_id text, called_station_id text, terminate_cause text, close_reason text,
  logout_estimated boolean, flags text[], interim_count integer, exclusive_port boolean`;

export const SESSION_MUTABLE_COLUMNS = [
  'login', 'logout', 'last_update', 'session_time', 'input_octets', 'output_octets', 'input_packets',
  'output_packets', 'framed_ip', 'calling_station_id', 'called_station_id', 'terminate_cause', 'close_reason',
  'logout_estimated', 'flags', 'interim_count',
] as const;
