// The datagram path, start to end, in one function: handleDatagram. Everything it depends on is handed in
// (NAS lookup, clock, batch writer, socket send), so every edge case is a unit test without UDP or sleeps.
//
//   source → decode → verify → dedupe → event → batch → commit → answer
//
// Nothing thrown here may escape: one bad datagram never stops the listener. Nothing is answered before its
// batch committed (docs/accounting.md §2); a datagram that is dropped is counted, never answered.
import { clockSkewSeconds, toAccountingEvent } from '../accounting/to-event.ts';
import type { ClockLimit } from '../accounting/plausibility.ts';
import type { PortPolicy } from '../accounting/port-policy.ts';
import type { Logger } from '../log.ts';
import { acctStatusTypeName, readAccountingAttributes } from '../protocol/attributes.ts';
import { isAuthenticAccountingRequest, isAuthenticStatusServer } from '../protocol/authenticator.ts';
import { CODE, decodePacket, type RadiusPacket } from '../protocol/decode.ts';
import { encodeAccountingResponse } from '../protocol/encode.ts';
import { sessionBucket } from '../db/sql/ingest-locks.ts';
import { DedupeCache } from './dedupe-cache.ts';
import type { IngestItem, IngestOutcome } from './item.ts';
import { describeError, makeLaneBatcher, UnstorableError, type LaneChoice } from './lanes.ts';
import { IngestTally } from './tally.ts';

/** A registered NAS as the pipeline needs it. */
export interface IngestClient {
  id: bigint;
  address: string;
  portPolicy: PortPolicy;
  clockLimit: ClockLimit;
  readonly secret: Buffer;
}

export interface Source {
  address: string;
  port: number;
}

export interface IngestDeps {
  /** The registered NAS with this (normalised) source address. */
  nasLookup(address: string): IngestClient | undefined;
  clock(): Date;
  /** Writes one batch in one transaction on a lane's connection; outcomes in item order. */
  commit(items: IngestItem[], lane: number): Promise<IngestOutcome[]>;
  send(response: Buffer, to: Source): void;
  log: Logger;
  lanes: number;
  maxBatch: number;
  maxPending: number;
  setTimer?(ms: number, fn: () => void): { cancel(): void };
  dedupe?: DedupeCache;
}

export interface Ingest {
  handleDatagram(datagram: Buffer, from: Source): void;
  /** Stops taking datagrams, commits and answers what was taken. */
  drain(): Promise<void>;
  readonly tally: IngestTally;
  readonly dedupe: DedupeCache;
  /** Packets taken and not yet committed or refused. */
  readonly pending: number;
  /** When batch writes began to fail for the database's sake (nothing is acknowledged since); null while they succeed. */
  readonly databaseUnavailableSince: Date | null;
}

export function makeIngest(deps: IngestDeps): Ingest {
  const { log } = deps;
  const tally = new IngestTally();
  const dedupe = deps.dedupe ?? new DedupeCache();
  let unavailableSince: Date | null = null;
  const batcher = makeLaneBatcher<IngestItem, IngestOutcome>({
    lanes: deps.lanes,
    maxBatch: deps.maxBatch,
    maxPending: deps.maxPending,
    write: (items, lane) => deps.commit(items, lane),
    onBatch: (size, ms) => tally.batch(size, ms),
    setTimer: deps.setTimer,
    onAvailability: (available, err) => {
      unavailableSince = available ? null : deps.clock();
      if (available) log.info('ingest: database writes succeed again');
      else log.warn(`ingest: database unavailable (${describeError(err)}); nothing is acknowledged until it is back`);
    },
  });
  let accepting = true;
  let rotation = 0;
  let inFlight = 0;

  function handleDatagram(datagram: Buffer, from: Source): void {
    if (!accepting) return;
    const arrival = deps.clock();

    // source: only registered NASes (§1)
    const nas = deps.nasLookup(from.address);
    if (!nas) {
      tally.unknownSource(from.address, arrival);
      tally.packet('unknown', 'unknown', 'unknown_nas');
      return;
    }

    // decode: bounds-checked, never throws
    const decoded = decodePacket(datagram);
    if (!decoded.ok) {
      tally.discard(nas.id, decoded.reason);
      tally.packet('unknown', 'unknown', decoded.reason);
      log.debug(`udp: ${decoded.reason} datagram from ${from.address}: ${decoded.message}`);
      return;
    }
    const packet = decoded.packet;

    // verify: Request Authenticator / Message-Authenticator with the NAS's secret
    const statusServer = packet.code === CODE.STATUS_SERVER;
    const code = statusServer ? 'Status-Server' : 'Accounting-Request';
    if (!(statusServer ? isAuthenticStatusServer(packet, nas.secret) : isAuthenticAccountingRequest(packet, nas.secret))) {
      tally.discard(nas.id, 'bad_authenticator');
      tally.packet(code, 'unknown', 'bad_authenticator');
      log.debug(`udp: bad authenticator from ${from.address} (code ${packet.code}, id ${packet.identifier})`);
      return;
    }
    const attrs = statusServer ? null : readAccountingAttributes(packet);
    const statusType = attrs === null ? 'none' : attrs.acctStatusType === undefined ? 'unknown' : acctStatusTypeName(attrs.acctStatusType);
    tally.heard(nas.id, arrival, attrs ? clockSkewSeconds(attrs, arrival) : null);

    // dedupe: a copy of a packet answered (or in flight) gets that answer, and is not processed again
    const key = DedupeCache.key(from.address, from.port, packet.identifier, packet.authenticator);
    const hit = dedupe.check(key, arrival.getTime(), (response) => deps.send(response, from));
    if (hit) {
      if (hit.kind === 'refused') tally.discard(nas.id, 'unprocessable');
      else tally.duplicate(nas.id);
      tally.packet(code, statusType, hit.kind === 'refused' ? 'unprocessable' : 'duplicate');
      if (hit.kind === 'done') deps.send(hit.response, from);
      return;
    }

    // event: what the packet asks of the sessions, every claimed value checked for plausibility
    const converted = attrs ? toAccountingEvent(attrs, arrival, nas.clockLimit) : { ok: true as const, event: { kind: 'journal-only' as const, time: arrival, arrival, flags: [] } };
    if (!converted.ok) {
      dedupe.fail(key);
      tally.discard(nas.id, 'malformed');
      tally.packet(code, statusType, 'malformed');
      log.debug(`udp: malformed accounting request from ${from.address} (id ${packet.identifier}): ${converted.message}`);
      return;
    }
    const event = converted.event;
    const bucket = 'acctSessionId' in event ? sessionBucket(event.portKey, event.acctSessionId) : null;
    const item: IngestItem = { nas: { id: nas.id, portPolicy: nas.portPolicy, clockLimit: nas.clockLimit }, event, raw: packet.bytes, statusServer, bucket };

    // batch: one lane per bucket keeps a session's packets in order; a restart is a barrier
    const lane: LaneChoice = event.kind === 'accounting-on' || event.kind === 'accounting-off' ? 'barrier' : bucket ?? rotation++;
    const taken = batcher.add(item, lane, (err) => {
      inFlight -= 1;
      // commit → answer: only now (RFC 2866 §2)
      if (!err) {
        tally.accepted(nas.id);
        tally.packet(code, statusType, 'accepted');
        const response = encodeAccountingResponse(packet, nas.secret);
        dedupe.complete(key, response, Date.now());
        deps.send(response, from);
      } else if (err instanceof UnstorableError) {
        dedupe.refuse(key, Date.now());
        tally.discard(nas.id, 'unprocessable');
        tally.packet(code, statusType, 'unprocessable');
        log.error(`ingest: ${describePacket(packet, attrs, from)} cannot be stored (${describeError(err.cause)}); not answered, its copies are dropped for 10 min`);
      } else {
        dedupe.fail(key);
        tally.packet(code, statusType, 'not_stored');
      }
    });
    if (!taken) {
      dedupe.fail(key);
      tally.packet(code, statusType, 'queue_full');
      log.debug(`udp: queue full, not taking a packet from ${from.address} (the NAS retransmits)`);
      return;
    }
    inFlight += 1;
  }

  return {
    handleDatagram(datagram, from) {
      try {
        handleDatagram(datagram, from);
      } catch (err) {
        log.error(`udp: unexpected error on a datagram from ${from.address}: ${(err as Error).message}`);
      }
    },
    async drain() {
      accepting = false;
      await batcher.drain();
    },
    tally,
    dedupe,
    get pending() {
      return inFlight;
    },
    get databaseUnavailableSince() {
      return unavailableSince;
    },
  };
}

/** Names a packet for a log line: NAS, Identifier, type and session; never attribute values beyond those. */
function describePacket(packet: RadiusPacket, attrs: ReturnType<typeof readAccountingAttributes> | null, from: Source): string {
  const type = attrs?.acctStatusType === undefined ? 'Status-Server' : acctStatusTypeName(attrs.acctStatusType);
  const session = attrs?.acctSessionId === undefined ? '' : `, Acct-Session-Id ${JSON.stringify(attrs.acctSessionId)}`;
  return `${type} from NAS ${from.address} (Id ${packet.identifier}${session})`;
}
