// Serves one PGlite backend to many PostgreSQL clients over a unix socket.
//
// PGlite is a single backend session, so clients must take turns. pglite-socket takes turns per protocol
// *message*, which lets another client's Parse land between a client's Parse and Bind ("unnamed prepared
// statement does not exist", wrong results). Here the unit is the query cycle: every message up to and
// including Sync (extended protocol) or a simple Query runs without interruption, and while a cycle leaves
// the backend inside a transaction, only that client's cycles run until it commits or rolls back.
//
// When the backend is lost (backend.ts), every client is ended with FATAL, and clients that connect until
// a new backend is attached are refused with 57P03: they see an error, none waits.
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { Backend } from './backend.ts';
import { COPY_IN, copyRefusal, isCopyFromStdin } from './copy-refusal.ts';
import { MAX_MESSAGE_LENGTH, nextFrame } from './framing.ts';
import { errorResponse, type TransactionStatus } from './messages.ts';
import { Client, endSocket, type Work } from './wire-client.ts';

const SSL_REQUEST_CODE = 80877103;
const GSSENC_REQUEST_CODE = 80877104;
const CANCEL_REQUEST_CODE = 80877102;
const PROTOCOL_3 = 196608;

/** A cycle is buffered whole until its Sync before it runs, so its messages together are capped too. */
const MAX_CYCLE_BYTES = 2 * MAX_MESSAGE_LENGTH;
/** Cycles queued by a client whose turn has not come: past this, stop reading its socket until they ran. */
const MAX_QUEUED_BYTES = MAX_MESSAGE_LENGTH;

/** Messages after which the backend answers with ReadyForQuery, ending a cycle: Sync, Query, FunctionCall. */
const CYCLE_END = new Set([...'SQF'].map((c) => c.charCodeAt(0)));
const TERMINATE = 'X'.charCodeAt(0);

export class WireServer {
  private server: Server | null = null;
  private readonly clients = new Set<Client>();
  /** Null until a PGlite instance is attached, and again once it is lost. */
  private backend: Backend | null = null;
  /** Why there is no backend, for the clients refused meanwhile. */
  private unavailable = 'the embedded database is starting';

  private readonly ready: Client[] = [];
  /** The client whose transaction is open in the backend. */
  private owner: Client | null = null;
  private ownerIdle: NodeJS.Timeout | null = null;
  private pumping = false;

  /**
   * @param onLost called once when the attached backend is lost; nothing runs on it any more.
   * @param idleInTransactionMs a client idle inside a transaction holds the one backend, and so every other
   *   client, including the listener's commits: after this long it is disconnected (its transaction rolls back).
   */
  constructor(
    private readonly onLost: (reason: string) => void,
    private readonly idleInTransactionMs = 30_000,
  ) {}

  attach(db: PGlite): void {
    this.backend = new Backend(db);
  }

  /** Tells clients refused while no backend is attached why (e.g. the disk is full). */
  setUnavailable(reason: string): void {
    this.unavailable = reason;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

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
    this.drop(client);
    endSocket(client.socket, errorResponse('FATAL', sqlstate, `embedded: ${message}`));
  }

  private enqueue(client: Client, messages: Buffer[], bytes: number): void {
    client.work.push({ kind: 'cycle', messages, bytes });
    client.queuedBytes += bytes;
    this.schedule(client);
  }

  /** Splits the client's bytes into messages and the messages into cycles; a bad Length ends this client only. */
  private read(client: Client): void {
    while (!client.closed && client.queuedBytes <= MAX_QUEUED_BYTES) {
      const frame = nextFrame(client.input, client.started);
      if (!frame) return;
      if (frame.kind === 'violation') return this.reject(client, frame.sqlstate, frame.reason);
      if (frame.kind === 'startup') {
        this.startup(client, frame.packet, frame.code);
        continue;
      }
      const { message } = frame;
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

  private startup(client: Client, packet: Buffer, code: number): void {
    if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
      client.socket.write('N');
    } else if (code === CANCEL_REQUEST_CODE) {
      client.socket.destroy(); // no query cancellation on a single embedded backend
    } else if (code !== PROTOCOL_3) {
      this.reject(client, '0A000', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`);
    } else if (!this.backend) {
      this.reject(client, '57P03', this.unavailable);
    } else {
      client.started = true;
      this.enqueue(client, [packet], packet.length);
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

  /**
   * The backend is lost: the client whose cycle hit it has the backend's own error; every other client is
   * ended with FATAL 57P02, as PostgreSQL ends its sessions when one backend crashed.
   */
  private lose(reason: string, culprit: Client | null): void {
    this.backend = null;
    this.unavailable = `the embedded database failed and is being reopened (${reason})`;
    this.setOwner(null);
    this.ready.length = 0;
    for (const c of [...this.clients]) {
      if (c !== culprit) {
        this.reject(c, '57P02', `terminating connection: ${this.unavailable}`);
        continue;
      }
      this.drop(c);
      endSocket(c.socket);
    }
    this.onLost(reason);
  }

  /** Runs one unit of work; false if it lost the backend. */
  private async runWork(backend: Backend, client: Client, work: Work): Promise<boolean> {
    if (work.kind === 'rollback') {
      const lost = await backend.rollback();
      if (lost) this.lose(lost, null);
      else this.setOwner(null);
      return !lost;
    }
    let status: TransactionStatus | null;
    if (isCopyFromStdin(work.messages)) {
      status = backend.isInTransaction() ? 'T' : 'I';
      client.socket.write(copyRefusal(status));
    } else {
      status = null;
      for (const message of work.messages) {
        const result = await backend.run(message, (chunk) => {
          if (!client.closed) client.socket.write(chunk);
        });
        if (result.lost !== null) {
          this.lose(result.lost, client);
          return false;
        }
        status = result.ready;
      }
      if (status === null) {
        this.lose('a query cycle did not end with ReadyForQuery', client);
        return false;
      }
    }
    // Until the backend is idle again (a transaction is open), only this client may go on.
    const idle = status === 'I' && !backend.isInTransaction();
    this.setOwner(!client.closed && !idle ? client : null);
    return true;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let client = this.next(); client && this.backend; client = this.next()) {
        const work = client.work.shift()!;
        if (!(await this.runWork(this.backend, client, work))) return;
        if (client.work.length > 0 && this.owner !== client) this.ready.push(client);
        this.ran(client, work);
      }
    } finally {
      this.pumping = false;
    }
  }
}
