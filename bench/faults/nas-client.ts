// A NAS for the fault suite: sessions with known times and octets (the ground truth), sent packet by packet
// (a session's next packet only once the previous one was answered), and every unanswered packet retransmitted
// as it is, same Identifier and Authenticator, for as long as it takes: across kills, restarts and outages.
import dgram from 'node:dgram';
import { md5Authenticator } from '../../src/protocol/authenticator.ts';
import { accountingRequest } from '../../test/helpers/packets.ts';

export interface SessionTruth {
  sid: string;
  user: string;
  port: number;
  /** Login, epoch seconds (the Start's Event-Timestamp). */
  start: number;
  /** Acct-Session-Time of the Stop. */
  duration: number;
  input: bigint;
  output: bigint;
  /** Interim-Updates between Start and Stop. */
  interims: number;
}

/** `n` sessions from `seed`: distinct ports (no port conflicts), 20 accounts, 1 in 8 past 4 GiB (Gigawords). */
export function makeSessions(prefix: string, n: number, seed: number, base: number, firstPort: number, interims = 2): SessionTruth[] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, (_, i) => {
    const big = rnd() < 0.125 ? 5n << 30n : 0n;
    return {
      sid: `${prefix}-${i}`,
      user: `${prefix.toLowerCase()}user${i % 20}`,
      port: firstPort + i,
      start: base + Math.floor(rnd() * 7200),
      duration: 60 + Math.floor(rnd() * 7000),
      input: big + BigInt(Math.floor(rnd() * 2e9)),
      output: BigInt(Math.floor(rnd() * 5e8)),
      interims,
    };
  });
}

/** Packet j of a session (0 Start, 1..interims Interim-Update, last Stop), without its Identifier yet. */
function packetSpec(s: SessionTruth, j: number) {
  const last = s.interims + 1;
  const at = j === last ? s.duration : Math.floor((s.duration * j) / last);
  const share = (total: bigint) => (j === last ? total : (total * BigInt(j)) / BigInt(last));
  const common = { sessionId: s.sid, userName: s.user, nasPort: s.port, eventTimestamp: s.start + at, framedIp: `100.64.${(s.port >> 8) & 255}.${s.port & 255}` };
  if (j === 0) return { statusType: 'Start' as const, ...common };
  return {
    statusType: j === last ? ('Stop' as const) : ('Interim-Update' as const),
    ...common,
    sessionTime: at,
    inputOctets: share(s.input),
    outputOctets: share(s.output),
    ...(j === last ? { terminateCause: 'User-Request' } : {}),
  };
}

interface Pending { session: SessionTruth; j: number; buf: Buffer; sentAt: number; firstSentAt: number }

export interface ClientFigures {
  sent: number;
  retransmits: number;
  /** Packets answered (each once). */
  acknowledged: number;
  /** Valid answers to a retransmission of a packet already answered. */
  repeatAnswers: number;
  /** Datagrams that were no valid answer to anything we sent. */
  badResponses: number;
}

export class NasClient {
  readonly figures: ClientFigures = { sent: 0, retransmits: 0, acknowledged: 0, repeatAnswers: 0, badResponses: 0 };
  /** Every answered packet's bytes, in the order answered (for replays). */
  readonly answered: Buffer[] = [];
  /** Arrival time (ms) of every valid answer, first or repeated. */
  readonly answerTimes: number[] = [];
  private readonly secret: Buffer;
  private readonly pending: (Pending | null)[] = new Array(256).fill(null);
  /** The previous packet of each Identifier, so a late answer to it is recognised. */
  private readonly previous: (Buffer | null)[] = new Array(256).fill(null);
  private readonly free: number[] = Array.from({ length: 256 }, (_, i) => i);
  private readonly queue: SessionTruth[] = [];
  private readonly nextPacket = new Map<SessionTruth, number>();
  private inflight = 0;
  private timer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];

  private constructor(private readonly socket: dgram.Socket, private readonly port: number, secret: string, private parallel: number, private readonly retransmitMs: number) {
    this.secret = Buffer.from(secret);
    socket.on('message', (msg) => this.onMessage(msg));
  }

  static async open(port: number, secret: string, opts: { parallel: number; retransmitMs: number }): Promise<NasClient> {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const c = new NasClient(socket, port, secret, 1, opts.retransmitMs);
    c.setParallel(opts.parallel);
    c.timer = setInterval(() => c.retransmit(), 100);
    return c;
  }

  /** Packets in flight at most (at most 200: one socket, 256 Identifiers). */
  setParallel(n: number): void {
    if (n > 200) throw new Error('parallel: at most 200');
    this.parallel = n;
    this.pump();
  }

  /** The source port, which the daemon's duplicate cache keys on. */
  get sourcePort(): number { return this.socket.address().port; }
  get outstanding(): number { return this.inflight + this.queue.length; }

  /** Queues sessions; resolves when every packet of every queued session was answered. */
  send(sessions: SessionTruth[]): Promise<void> {
    this.queue.push(...sessions);
    this.pump();
    return this.idle();
  }

  idle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Sends one datagram as it is from this NAS's socket (replays, probes). */
  raw(buf: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(buf, this.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.socket.close();
  }

  private pump(): void {
    while (this.inflight < this.parallel && this.queue.length > 0 && this.free.length > 0) {
      const session = this.queue.shift()!;
      this.sendPacket(session, this.nextPacket.get(session) ?? 0);
    }
    if (this.outstanding === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private sendPacket(session: SessionTruth, j: number): void {
    const id = this.free.shift()!;
    const buf = accountingRequest({ ...packetSpec(session, j), identifier: id }, this.secret);
    const now = Date.now();
    this.pending[id] = { session, j, buf, sentAt: now, firstSentAt: now };
    this.inflight += 1;
    this.figures.sent += 1;
    this.socket.send(buf, this.port, '127.0.0.1');
  }

  private retransmit(): void {
    const now = Date.now();
    for (const p of this.pending) {
      if (!p || now - p.sentAt < this.retransmitMs) continue;
      p.sentAt = now;
      this.figures.retransmits += 1;
      this.socket.send(p.buf, this.port, '127.0.0.1');
    }
  }

  private isAnswerTo(msg: Buffer, request: Buffer): boolean {
    if (msg.length < 20 || msg[0] !== 5 || msg[1] !== request[1]) return false;
    const len = msg.readUInt16BE(2);
    if (len < 20 || len > msg.length) return false;
    const bytes = msg.subarray(0, len);
    return md5Authenticator(bytes, request.subarray(4, 20), this.secret).equals(bytes.subarray(4, 20));
  }

  private onMessage(msg: Buffer): void {
    const id = msg[1] ?? 0;
    const p = this.pending[id];
    if (p && this.isAnswerTo(msg, p.buf)) {
      this.answerTimes.push(Date.now());
      this.figures.acknowledged += 1;
      this.answered.push(p.buf);
      this.pending[id] = null;
      this.previous[id] = p.buf;
      this.free.push(id);
      this.inflight -= 1;
      if (p.j < p.session.interims + 1) {
        this.nextPacket.set(p.session, p.j + 1);
        this.queue.unshift(p.session); // its next packet goes first: sessions finish, new ones wait
      } else this.nextPacket.delete(p.session);
      this.pump();
      return;
    }
    const prev = this.previous[id];
    if (prev && this.isAnswerTo(msg, prev)) {
      this.answerTimes.push(Date.now());
      this.figures.repeatAnswers += 1;
    } else this.figures.badResponses += 1;
  }
}
