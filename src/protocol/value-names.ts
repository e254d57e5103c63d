// Names of enumerated values, spelled as in the RFCs' dictionaries.

const ACCT_STATUS_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'Start', // RFC 2866 §5.1
  2: 'Stop',
  3: 'Interim-Update',
  7: 'Accounting-On',
  8: 'Accounting-Off',
  9: 'Tunnel-Start', // RFC 2867 §4.1
  10: 'Tunnel-Stop',
  11: 'Tunnel-Reject',
  12: 'Tunnel-Link-Start',
  13: 'Tunnel-Link-Stop',
  14: 'Tunnel-Link-Reject',
  15: 'Failed', // RFC 2866 §5.1
};

const ACCT_TERMINATE_CAUSE_NAMES: Readonly<Record<number, string>> = {
  1: 'User-Request', // RFC 2866 §5.10
  2: 'Lost-Carrier',
  3: 'Lost-Service',
  4: 'Idle-Timeout',
  5: 'Session-Timeout',
  6: 'Admin-Reset',
  7: 'Admin-Reboot',
  8: 'Port-Error',
  9: 'NAS-Error',
  10: 'NAS-Request',
  11: 'NAS-Reboot',
  12: 'Port-Unneeded',
  13: 'Port-Preempted',
  14: 'Port-Suspended',
  15: 'Service-Unavailable',
  16: 'Callback',
  17: 'User-Error',
  18: 'Host-Request',
  19: 'Supplicant-Restart', // RFC 3580 §3.32
  20: 'Reauthentication-Failure',
  21: 'Port-Reinit',
  22: 'Port-Disabled',
};

function nameOf(names: Readonly<Record<number, string>>, value: number): string {
  return Object.hasOwn(names, value) ? names[value] : String(value);
}

export function acctStatusTypeName(value: number): string {
  return nameOf(ACCT_STATUS_TYPE_NAMES, value);
}

export function acctTerminateCauseName(value: number): string {
  return nameOf(ACCT_TERMINATE_CAUSE_NAMES, value);
}

function valueOf(names: Readonly<Record<number, string>>, name: string): number | undefined {
  const entry = Object.entries(names).find(([, n]) => n === name);
  return entry === undefined ? undefined : Number(entry[0]);
}

export function acctStatusTypeValue(name: string): number | undefined {
  return valueOf(ACCT_STATUS_TYPE_NAMES, name);
}

export function acctTerminateCauseValue(name: string): number | undefined {
  return valueOf(ACCT_TERMINATE_CAUSE_NAMES, name);
}
