// The per-datagram pipeline: source → decode → verify → dedupe → event → batched commit → response.
// Nothing thrown here may escape the 'message' handler: one bad datagram never stops the socket.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { clockSkewSeconds, toAccountingEvent } from '../accounting/to-event.ts';
import { applyBatch, type IngestItem, type IngestOutcome } from '../ingest/apply-batch.ts';
import type { Logger } from '../log.ts';
import { acctStatusTypeName, journalAttributes, readAccountingAttributes } from '../protocol/attributes.ts';
import {
  isAuthenticAccountingRequest,
  isAuthenticStatusServer,
  encodeAccountingResponse,
} from '../protocol/authenticator.ts';
import { CODE, decodePacket, type RadiusPacket } from '../protocol/decode.ts';
import { makeBatcher } from './batcher.ts';
import { DedupeCache } from './dedupe-cache.ts';
import { DiscardCounters } from './discard-counters.ts';
import { makeNasRegistry, normalizeAddress, type NasClient } from './nas-registry.ts';

export interface ListenerOptions {
  knex: Knex;
  log: Logger;
  host?: string;
  port?: number;
  batchMaxSize?: number;
  batchMaxDelayMs?: number;
  maxPending?: number;
  nasReloadMs?: number;
  counterFlushMs?: number;
}

export interface Listener {
  address(): AddressInfo;
  readonly counters: DiscardCounters;
  /** Re-reads the NAS clients now (they are also re-read every few seconds). */
  reloadNas(): Promise<void>;
  /** Writes the in-memory discard counters now. */
  flushCounters(): Promise<void>;
  /** Stops reading, commits and answers what was accepted, then closes. */
  stop(): Promise<void>;
}

export async function startListener(opts: ListenerOptions): Promise<Listener> {
  const { knex, log } = opts;
  const host = opts.host ?? '0.0.0.0';
  const registry = await makeNasRegistry(knex, log, opts.nasReloadMs);
  const counters = new DiscardCounters();
  const dedupe = new DedupeCache();
  const batcher = makeBatcher<IngestItem, IngestOutcome>({
    write: (items) => applyBatch(knex, items),
    maxSize: opts.batchMaxSize ?? 500,
    maxDelayMs: opts.batchMaxDelayMs ?? 2,
    maxPending: opts.maxPending ?? 20_000,
    log,
  });
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 << 20 });
  let accepting = true;
  let inFlight = 0;
  let sending = 0;

  function onDatagram(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!accepting) return;
    const arrival = new Date();
    const source = normalizeAddress(rinfo.address);
    const nas = registry.get(source);
    if (!nas) {
      counters.countUnknown(source, arrival);
      log.debug(`udp: datagram from unknown source ${source}`);
      return;
    }
    const decoded = decodePacket(buf);
    if (!decoded.ok) {
      counters.count(nas.id, decoded.reason);
      log.debug(`udp: ${decoded.reason} datagram from ${source}: ${decoded.message}`);
      return;
    }
    const packet = decoded.packet;
    const authentic = packet.code === CODE.STATUS_SERVER
      ? isAuthenticStatusServer(packet, nas.secret)
      : isAuthenticAccountingRequest(packet, nas.secret);
    if (!authentic) {
      counters.count(nas.id, 'bad_authenticator');
      log.debug(`udp: bad authenticator from ${source} (code ${packet.code}, id ${packet.identifier})`);
      return;
    }
    const reply = (response: Buffer) => {
      sending += 1;
      socket.send(response, rinfo.port, rinfo.address, (err) => {
        sending -= 1;
        if (err) log.warn(`udp: cannot answer ${source}:${rinfo.port}: ${err.message}`);
      });
    };
    const key = DedupeCache.key(source, rinfo.port, packet.identifier, packet.authenticator);
    const hit = dedupe.check(key, arrival.getTime(), reply);
    if (hit) {
      counters.count(nas.id, 'duplicate');
      if (hit.kind === 'done') reply(hit.response);
      return;
    }
    const item = toIngestItem(packet, nas, arrival);
    if (!item) {
      dedupe.fail(key);
      counters.count(nas.id, 'malformed');
      log.debug(`udp: malformed accounting request from ${source} (id ${packet.identifier})`);
      return;
    }
    const committed = batcher.add(item);
    if (!committed) {
      dedupe.fail(key);
      log.debug(`udp: queue full, not accepting from ${source} (the NAS retransmits)`);
      return;
    }
    inFlight += 1;
    committed.then(
      () => {
        const response = encodeAccountingResponse(packet, nas.secret);
        dedupe.complete(key, response, Date.now());
        reply(response);
      },
      () => dedupe.fail(key),
    ).finally(() => (inFlight -= 1));
  }

  socket.on('message', (buf, rinfo) => {
    try {
      onDatagram(buf, rinfo);
    } catch (err) {
      log.error(`udp: unexpected error on a datagram from ${rinfo.address}: ${(err as Error).message}`);
    }
  });
  socket.on('error', (err) => log.error(`udp: socket error: ${err.message}`));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port: opts.port ?? 1813, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });

  const flushCounters = () => counters.flush(knex, log);
  let stopping: Promise<void> | null = null;
  async function stop(): Promise<void> {
    accepting = false;
    await batcher.drain();
    // Responses are sent asynchronously; the socket closes only when they have left.
    while (inFlight > 0 || sending > 0) await new Promise((r) => setTimeout(r, 1));
    clearInterval(housekeeping);
    registry.stop();
    await flushCounters();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  const housekeeping = setInterval(() => {
    dedupe.sweep(Date.now());
    void flushCounters();
  }, opts.counterFlushMs ?? 1000);
  housekeeping.unref();

  return {
    address: () => socket.address(),
    counters,
    reloadNas: () => registry.reload(),
    flushCounters,
    stop: () => (stopping ??= stop()),
  };
}

function toIngestItem(packet: RadiusPacket, nas: NasClient, arrival: Date): IngestItem | null {
  const ingestNas = { id: nas.id, address: nas.address, portPolicy: nas.portPolicy };
  if (packet.code === CODE.STATUS_SERVER) {
    return {
      nas: ingestNas,
      code: 'Status-Server',
      statusType: null,
      event: { kind: 'journal-only', time: arrival, arrival, flags: [] },
      acctSessionId: null,
      username: null,
      attributes: journalAttributes(packet),
      clockSkewSeconds: null,
    };
  }
  const attrs = readAccountingAttributes(packet);
  const converted = toAccountingEvent(attrs, arrival);
  if (!converted.ok) return null;
  return {
    nas: ingestNas,
    code: 'Accounting-Request',
    statusType: acctStatusTypeName(attrs.acctStatusType!),
    event: converted.event,
    acctSessionId: attrs.acctSessionId ?? null,
    username: attrs.userName ?? null,
    // Decoded for the journal only once the packet is known to be usable.
    attributes: journalAttributes(packet),
    clockSkewSeconds: clockSkewSeconds(attrs, arrival),
  };
}
