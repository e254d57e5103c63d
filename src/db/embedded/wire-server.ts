// Serves one PGlite backend to many PostgreSQL clients over a unix socket.
//
// PGlite is a single backend session, so clients must take turns. pglite-socket takes turns per protocol
// *message*, which lets another client's Parse land between a client's Parse and Bind ("unnamed prepared
// statement does not exist", wrong results). Here the unit is the query cycle: every message up to and
// including Sync (extended protocol) or a simple Query runs without interruption, and while a cycle leaves
// the backend inside a transaction, only that client's cycles run until it commits or rolls back.
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { ByteQueue } from './byte-queue.ts';

const SSL_REQUEST_CODE = 80877103;
const GSSENC_REQUEST_CODE = 80877104;
const CANCEL_REQUEST_CODE = 80877102;
const PROTOCOL_3 = 196608;

/** A startup packet's Length, as PostgreSQL checks it: the Length and code words, at most 10,000 bytes. */
const MIN_STARTUP_LENGTH = 8;
const MAX_STARTUP_LENGTH = 10_000;
/** A message's Length counts itself (4 bytes) but not the type byte. */
const MIN_MESSAGE_LENGTH = 4;
/**
 * PostgreSQL accepts messages up to 1 GB, but here a message is held in this worker, then copied into
 * PGlite's 32-bit WASM heap, which every client shares: one client must not be able to exhaust it. Our
 * largest statements (a batch of 500 accounting rows as one JSON parameter) are well under 1 MB.
 */
const MAX_MESSAGE_LENGTH = 64 * 1024 * 1024;
/** A cycle is buffered whole until its Sync before it runs, so its messages together are capped too. */
const MAX_CYCLE_BYTES = 2 * MAX_MESSAGE_LENGTH;
/** Cycles queued by a client whose turn has not come: past this, stop reading its socket until they ran. */
const MAX_QUEUED_BYTES = MAX_MESSAGE_LENGTH;

/**
 * Messages after which the backend answers: the end of a cycle. CopyDone/CopyFail end the data a client
 * streams after a COPY … FROM STDIN query.
 */
const CYCLE_END = new Set([...'SQF'].map((c) => c.charCodeAt(0)));
/**
 * CopyData/CopyDone/CopyFail: COPY … FROM STDIN cannot work on PGlite's message-at-a-time interface (it
 * reads EOF where the data should be), and forwarding the data afterwards kills the single backend.
 */
const COPY_IN = new Set([...'dcf'].map((c) => c.charCodeAt(0)));
/** ReadyForQuery ('Z', length 5) with status 'I': the backend is idle, outside any transaction. */
const READY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);
const TERMINATE = 'X'.charCodeAt(0);

const QUERY = 'Q'.charCodeAt(0);
const PARSE = 'P'.charCodeAt(0);
const COPY_FROM_STDIN = /\bcopy\b[\s\S]*\bfrom\s+stdin\b/i;

/** The SQL text of a Query or Parse message, for the one statement kind we must refuse. */
function statementText(message: Buffer): string | null {
  if (message[0] === QUERY) return message.subarray(5).toString('utf8');
  if (message[0] === PARSE) {
    const nameEnd = message.indexOf(0, 5);
    return nameEnd < 0 ? null : message.subarray(nameEnd + 1).toString('utf8');
  }
  return null;
}

function pgMessage(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function errorResponse(severity: 'ERROR' | 'FATAL', sqlstate: string, message: string): Buffer {
  const fields = [['S', severity], ['V', severity], ['C', sqlstate], ['M', message]]
    .map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8'));
  return pgMessage('E', Buffer.concat([...fields, Buffer.from([0])]));
}

/** ErrorResponse (SQLSTATE 0A000 feature_not_supported) and ReadyForQuery, as the backend would send. */
function refusal(message: string, status: 'I' | 'T'): Buffer {
  return Buffer.concat([errorResponse('ERROR', '0A000', message), pgMessage('Z', Buffer.from(status, 'latin1'))]);
}

type Work = { kind: 'cycle'; messages: Buffer[]; bytes: number } | { kind: 'rollback' };

class Client {
  readonly input = new ByteQueue();
  started = false;
  partial: Buffer[] = [];
  partialBytes = 0;
  work: Work[] = [];
  /** Bytes of the cycles in `work`; reading stops (the socket is paused) while it exceeds MAX_QUEUED_BYTES. */
  queuedBytes = 0;
  paused = false;
  closed = false;
  /** The last bytes the backend sent this client, to see whether it ended on ReadyForQuery idle. */
  tail: Buffer = Buffer.alloc(0);
  constructor(readonly socket: Socket) {}
}

export class WireServer {
  private server: Server | null = null;
  private readonly clients = new Set<Client>();

  private readonly ready: Client[] = [];
  /** The client whose transaction is open in the backend. */
  private owner: Client | null = null;
  private ownerIdle: NodeJS.Timeout | null = null;
  private pumping = false;

  /**
   * @param idleInTransactionMs a client idle inside a transaction holds the one backend, and so every other
   *   client, including the listener's commits: after this long it is disconnected (its transaction rolls back).
   */
  constructor(
    private readonly db: PGlite,
    private readonly idleInTransactionMs = 30_000,
  ) {}

  start(path: string): Promise<void> {
    this.server = createServer((socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(path, () => resolve());
    });
  }

  /**
   * Stops accepting, lets connected clients finish (a CLI command that hosts the database must not cut off
   * a report that connected through it) for up to `graceMs`, then closes the rest.
   */
  async stop(graceMs = 30_000): Promise<void> {
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    const deadline = Date.now() + graceMs;
    while (this.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.clients) c.socket.destroy();
    await closed;
    while (this.pumping) await new Promise((r) => setTimeout(r, 5));
  }

  private accept(socket: Socket): void {
    const client = new Client(socket);
    this.clients.add(client);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (client.closed) return;
      client.input.push(chunk);
      this.read(client);
    });
    socket.on('close', () => this.drop(client));
    socket.on('error', () => this.drop(client));
  }

  /** Forgets a client that is gone; if its transaction holds the backend, it is rolled back. */
  private drop(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client);
    client.work = this.owner === client ? [{ kind: 'rollback' }] : [];
    if (this.owner === client) this.schedule(client);
  }

  /** Ends one client that broke the protocol or a limit, as PostgreSQL would (FATAL); the others go on. */
  private reject(client: Client, sqlstate: string, message: string): void {
    const { socket } = client;
    this.drop(client);
    socket.end(errorResponse('FATAL', sqlstate, `embedded: ${message}`), () => socket.destroy());
  }

  private enqueue(client: Client, messages: Buffer[], bytes: number): void {
    client.work.push({ kind: 'cycle', messages, bytes });
    client.queuedBytes += bytes;
    this.schedule(client);
  }

  /**
   * Splits the client's bytes into messages and the messages into cycles. Every Length is checked before
   * anything waits for or allocates it: a wrong one ends this client only.
   */
  private read(client: Client): void {
    const input = client.input;
    while (!client.closed && client.queuedBytes <= MAX_QUEUED_BYTES) {
      if (!client.started) {
        if (input.length < 4) return;
        const length = input.int32At(0);
        if (length < MIN_STARTUP_LENGTH || length > MAX_STARTUP_LENGTH) {
          return this.reject(client, '08P01', `invalid length of startup packet: ${length}`);
        }
        if (input.length < length) return;
        const packet = input.take(length);
        const code = packet.readInt32BE(4);
        if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
          client.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST_CODE) {
          client.socket.destroy(); // no query cancellation on a single embedded backend
          return;
        }
        if (code !== PROTOCOL_3) return this.reject(client, '0A000', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`);
        client.started = true;
        this.enqueue(client, [packet], length);
        continue;
      }
      if (input.length < 5) return;
      const length = input.int32At(1);
      if (length < MIN_MESSAGE_LENGTH) return this.reject(client, '08P01', `invalid message length: ${length}`);
      if (length > MAX_MESSAGE_LENGTH) {
        return this.reject(client, '08P01', `message of ${length} bytes is over the limit of ${MAX_MESSAGE_LENGTH}`);
      }
      if (input.length < 1 + length) return;
      const message = input.take(1 + length);
      if (message[0] === TERMINATE) {
        client.socket.end();
        return;
      }
      if (COPY_IN.has(message[0])) {
        client.socket.destroy(new Error('COPY FROM STDIN is not supported by the embedded database'));
        return;
      }
      client.partial.push(message);
      client.partialBytes += message.length;
      if (CYCLE_END.has(message[0])) {
        this.enqueue(client, client.partial, client.partialBytes);
        client.partial = [];
        client.partialBytes = 0;
      } else if (client.partialBytes > MAX_CYCLE_BYTES) {
        return this.reject(client, '54000', `more than ${MAX_CYCLE_BYTES} bytes of messages without a Sync`);
      }
    }
    if (!client.closed && !client.paused) {
      client.paused = true;
      client.socket.pause();
    }
  }

  /** A cycle of `client` ran: if its socket was paused for the queue, read on. */
  private ran(client: Client, work: Work): void {
    if (work.kind !== 'cycle') return;
    client.queuedBytes -= work.bytes;
    if (client.paused && !client.closed && client.queuedBytes <= MAX_QUEUED_BYTES) {
      client.paused = false;
      client.socket.resume();
      this.read(client);
    }
  }

  private setOwner(owner: Client | null): void {
    this.owner = owner;
    if (this.ownerIdle) clearTimeout(this.ownerIdle);
    this.ownerIdle = null;
    if (owner && owner.work.length === 0) {
      this.ownerIdle = setTimeout(() => {
        if (this.owner === owner && owner.work.length === 0) owner.socket.destroy();
      }, this.idleInTransactionMs);
      this.ownerIdle.unref();
    }
  }

  private schedule(client: Client): void {
    if (client === this.owner && this.ownerIdle) {
      clearTimeout(this.ownerIdle); // it is not idle: its next statement is here
      this.ownerIdle = null;
    }
    if (!this.ready.includes(client)) this.ready.push(client);
    void this.pump();
  }

  private next(): Client | null {
    if (this.owner) return this.owner.work.length > 0 ? this.owner : null;
    while (this.ready.length > 0) {
      const c = this.ready.shift()!;
      if (c.work.length > 0) return c;
    }
    return null;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let client = this.next(); client; client = this.next()) {
        const work = client.work.shift()!;
        if (work.kind === 'rollback') {
          if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
        } else if (work.messages.some((m) => COPY_FROM_STDIN.test(statementText(m) ?? ''))) {
          // PGlite exits when it reads EOF in COPY mode: answer for it, and keep the shared backend alive.
          const status = this.db.isInTransaction() ? 'T' : 'I';
          client.socket.write(refusal('COPY FROM STDIN is not supported by the embedded database; use INSERT, or a PostgreSQL server', status));
          client.tail = Buffer.from([0x5a, 0, 0, 0, 5, status.charCodeAt(0)]);
        } else {
          const c = client;
          for (const message of work.messages) {
            await this.db.execProtocolRawStream(message, {
              onRawData: (data) => {
                // A view into PGlite's memory, reused by the next chunk: copy it before the socket queues it.
                const chunk = Buffer.from(data);
                c.tail = chunk.length >= READY_IDLE.length
                  ? Buffer.from(chunk.subarray(-READY_IDLE.length))
                  : Buffer.concat([c.tail, chunk]).subarray(-READY_IDLE.length);
                if (!c.closed) c.socket.write(chunk);
              },
            });
          }
        }
        // Until the backend is idle again (a transaction is open), only this client may go on.
        const idle = work.kind === 'rollback' || (client.tail.equals(READY_IDLE) && !this.db.isInTransaction());
        this.setOwner(!client.closed && !idle ? client : null);
        if (client.work.length > 0 && this.owner !== client) this.ready.push(client);
        this.ran(client, work);
      }
    } finally {
      this.pumping = false;
    }
  }
}
