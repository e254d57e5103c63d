// §5 and §10: when a NAS, or one of its sessions, has been quiet too long.
//
// A NAS sends an Interim-Update per session every interim interval, and most send Status-Server or Starts in
// between. Quiet for longer than QUIET_INTERVALS intervals, a session is stale (its Stop was lost) and a NAS is
// silent (it, or the path to it, is down). A NAS never heard from counts from its registration. Reconcile may
// take one limit for every NAS instead (--stale-after).

/** Silence longer than this many interim intervals. */
export const QUIET_INTERVALS = 3;

/** A NAS's quiet limit in seconds: `staleAfterSeconds` when given, else QUIET_INTERVALS × its interim interval. */
export function quietLimitSeconds(interimInterval: number, staleAfterSeconds?: number): number {
  return staleAfterSeconds ?? QUIET_INTERVALS * interimInterval;
}

export interface Heard {
  lastSeen: Date | null;
  createdAt: Date;
  interimInterval: number;
}

/** Silent: nothing heard (since its registration, if never) for longer than its quiet limit before `now`. */
export function isSilent(nas: Heard, now: Date, staleAfterSeconds?: number): boolean {
  const heard = nas.lastSeen ?? nas.createdAt;
  return now.getTime() - heard.getTime() > quietLimitSeconds(nas.interimInterval, staleAfterSeconds) * 1000;
}
