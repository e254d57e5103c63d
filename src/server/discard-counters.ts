// Per-NAS duplicate and discard counts and unknown sources are kept in memory and added to the database every
// second: they acknowledge nothing, so a lost second of counts on a crash costs no accounting data.
import type { Knex } from 'knex';
import type { DiscardReason } from '../protocol/decode.ts';
import { addNasDiscards, addUnknownSources, type NasDiscards } from '../db/sql/nas-heartbeat.ts';
import type { Logger } from '../log.ts';

export type CountedReason = DiscardReason | 'duplicate';

export class DiscardCounters {
  private perNas = new Map<bigint, NasDiscards>();
  private unknown = new Map<string, { address: string; firstSeen: Date; lastSeen: Date; count: number }>();
  /** Totals since start, for the log line at shutdown and for tests. */
  readonly totals: Record<CountedReason | 'unknown_nas', number> = {
    duplicate: 0, malformed: 0, bad_authenticator: 0, unsupported_code: 0, unknown_nas: 0,
  };

  count(nasId: bigint, reason: CountedReason): void {
    this.totals[reason] += 1;
    let c = this.perNas.get(nasId);
    if (!c) this.perNas.set(nasId, (c = { nasId, duplicates: 0, malformed: 0, badAuthenticator: 0, unsupportedCode: 0 }));
    if (reason === 'duplicate') c.duplicates += 1;
    else if (reason === 'malformed') c.malformed += 1;
    else if (reason === 'bad_authenticator') c.badAuthenticator += 1;
    else c.unsupportedCode += 1;
  }

  countUnknown(address: string, at: Date): void {
    this.totals.unknown_nas += 1;
    const u = this.unknown.get(address);
    if (u) {
      u.count += 1;
      u.lastSeen = at;
    } else this.unknown.set(address, { address, firstSeen: at, lastSeen: at, count: 1 });
  }

  async flush(knex: Knex, log: Logger): Promise<void> {
    const perNas = [...this.perNas.values()];
    const unknown = [...this.unknown.values()];
    if (perNas.length === 0 && unknown.length === 0) return;
    this.perNas = new Map();
    this.unknown = new Map();
    try {
      await knex.transaction(async (trx) => {
        await addNasDiscards(trx, perNas);
        await addUnknownSources(trx, unknown);
      });
    } catch (err) {
      // Put them back for the next try.
      for (const c of perNas) this.merge(c);
      for (const u of unknown) {
        const cur = this.unknown.get(u.address);
        if (cur) {
          cur.count += u.count;
          cur.firstSeen = u.firstSeen;
        } else this.unknown.set(u.address, u);
      }
      log.debug(`counters: flush failed (${(err as Error).message.split('\n')[0]})`);
    }
  }

  private merge(c: NasDiscards): void {
    const cur = this.perNas.get(c.nasId);
    if (!cur) {
      this.perNas.set(c.nasId, c);
      return;
    }
    cur.duplicates += c.duplicates;
    cur.malformed += c.malformed;
    cur.badAuthenticator += c.badAuthenticator;
    cur.unsupportedCode += c.unsupportedCode;
  }
}
