// The embedded wire server (src/db/embedded/wire-server.ts) frames PostgreSQL messages from raw bytes on
// its socket. A bad length from one client must cost that client its connection, nothing more: the
// others, including the listener's commits, keep their one shared backend.
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { readLock } from '../../src/db/embedded/lock.ts';
import { testKnex, testTarget } from '../helpers/db.ts';

interface Message {
  type: string;
  body: Buffer;
}

function socketPath(): string {
  const target = testTarget();
  if (target.kind !== 'embedded') throw new Error('test: not the embedded backend');
  return join(readLock(target.dataDir)!.socketDir, '.s.PGSQL.5432');
}

function startupPacket(): Buffer {
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0', 'latin1');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([head, params]);
}

function frontendMessage(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function query(sql: string): Buffer {
  return frontendMessage('Q', Buffer.from(sql + '\0', 'utf8'));
}

/** A client that speaks raw bytes and keeps what the server sends, as backend messages. */
class RawClient {
  private received = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined); // a reset after the server's FATAL is expected
  }
  static open(): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(socketPath(), () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  messages(): Message[] {
    const out: Message[] = [];
    for (let at = 0; at + 5 <= this.received.length; ) {
      const end = at + 1 + this.received.readInt32BE(at + 1);
      if (end > this.received.length) break;
      out.push({ type: String.fromCharCode(this.received[at]), body: this.received.subarray(at + 5, end) });
      at = end;
    }
    return out;
  }
  /** Waits until `count` messages of `type` have arrived (or the server closed), then returns all so far. */
  async until(type: string, count = 1): Promise<Message[]> {
    const seen = () => this.messages().filter((m) => m.type === type).length;
    while (seen() < count && !this.ended) await new Promise<void>((r) => this.waiters.push(r));
    return this.messages();
  }
  async closedByServer(): Promise<Message[]> {
    while (!this.ended) await new Promise<void>((r) => this.waiters.push(r));
    return this.messages();
  }
  async started(): Promise<void> {
    this.socket.write(startupPacket());
    const types = (await this.until('Z')).map((m) => m.type);
    expect(types.at(-1), `startup answered ${types.join(',')}`).to.equal('Z');
    this.received = Buffer.alloc(0);
  }
}

/** The fields of an ErrorResponse, by their one-letter codes. */
function errorFields(messages: Message[]): Record<string, string> | null {
  const e = messages.find((m) => m.type === 'E');
  if (!e) return null;
  const fields: Record<string, string> = {};
  for (const part of e.body.toString('utf8').split('\0')) if (part) fields[part[0]] = part.slice(1);
  return fields;
}

function firstValue(messages: Message[]): string | null {
  const row = messages.find((m) => m.type === 'D');
  if (!row) return null;
  const length = row.body.readInt32BE(2);
  return row.body.subarray(6, 6 + length).toString('utf8');
}

async function othersStillServed(): Promise<void> {
  expect((await testKnex().raw('select ?::int * 2 as v', [21])).rows).to.deep.equal([{ v: 42 }]);
}

async function expectProtocolViolation(client: RawClient): Promise<void> {
  const fields = errorFields(await client.closedByServer());
  expect(fields && { S: fields.S, C: fields.C }, `error fields ${JSON.stringify(fields)}`).to.deep.equal({ S: 'FATAL', C: '08P01' });
  await othersStillServed();
}

describe('embedded wire server: message lengths', function () {
  this.timeout(60_000);
  before(function () {
    if (testTarget().kind !== 'embedded') this.skip();
  });

  it('the 8-byte startup packet with Length 0 (00 00 00 00 04 d2 16 2f) gets FATAL 08P01', async () => {
    const client = await RawClient.open();
    client.socket.write(Buffer.from('0000000004d2162f', 'hex'));
    await expectProtocolViolation(client);
  });

  for (const length of [-1, 4, 7, 10_001, 0x7fffffff]) {
    it(`a startup packet with Length ${length} gets FATAL 08P01 (PostgreSQL allows 8 to 10,000)`, async () => {
      const client = await RawClient.open();
      const head = Buffer.alloc(8);
      head.writeInt32BE(length, 0);
      head.writeInt32BE(196608, 4);
      client.socket.write(head);
      await expectProtocolViolation(client);
    });
  }

  for (const length of [-1, 0, 3]) {
    it(`a message with Length ${length} (< 4, the length field itself) gets FATAL 08P01`, async () => {
      const client = await RawClient.open();
      await client.started();
      const head = Buffer.alloc(5);
      head.write('Q', 0, 'latin1');
      head.writeInt32BE(length, 1);
      client.socket.write(head);
      await expectProtocolViolation(client);
    });
  }

  for (const length of [64 * 1024 * 1024 + 1, 0x7fffffff]) {
    it(`a message announcing ${length} bytes (over the 64 MiB cap) is refused before its body arrives`, async () => {
      const client = await RawClient.open();
      await client.started();
      const head = Buffer.alloc(5);
      head.write('Q', 0, 'latin1');
      head.writeInt32BE(length, 1);
      client.socket.write(head);
      await expectProtocolViolation(client);
    });
  }

  it('a FATAL client inside a transaction is rolled back; the others go on', async () => {
    const client = await RawClient.open();
    await client.started();
    client.socket.write(query('begin; create temp table framing_t (x int); insert into framing_t values (1)'));
    await client.until('Z');
    client.socket.write(Buffer.from('5100000002', 'hex'));
    await expectProtocolViolation(client);
    const err = await testKnex().raw('select * from framing_t').then(() => null, (e: { code?: string }) => e.code);
    expect(err, 'the transaction was rolled back').to.equal('42P01');
  });

  it('a startup packet and a query sent one byte at a time are answered', async () => {
    const client = await RawClient.open();
    const bytes = Buffer.concat([startupPacket(), query('select 6 * 7 as v')]);
    for (let i = 0; i < bytes.length; i++) client.socket.write(bytes.subarray(i, i + 1));
    const messages = await client.until('D').then(() => client.until('Z'));
    expect(firstValue(messages)).to.equal('42');
    client.socket.end();
  });

  it('a 32 MiB query streamed in 4 KiB pieces is answered, and the others are served meanwhile', async () => {
    const client = await RawClient.open();
    await client.started();
    const size = 32 * 1024 * 1024;
    const message = query(`select length('${'x'.repeat(size)}') as n`);
    const piece = 4096;
    const sent = (async () => {
      for (let at = 0; at < message.length; at += piece) {
        if (!client.socket.write(message.subarray(at, at + piece))) await new Promise((r) => client.socket.once('drain', r));
      }
    })();
    await othersStillServed();
    await sent;
    const messages = await client.until('Z');
    expect(errorFields(messages)).to.equal(null);
    expect(firstValue(messages)).to.equal(String(size));
    client.socket.end();
    await othersStillServed();
  });

  it('a client queueing 96 MiB behind another client\'s transaction is answered in full once it commits', async () => {
    const size = 24 * 1024 * 1024;
    const queries = Array.from({ length: 4 }, (_, i) => query(`select ${i} as i, length('${'x'.repeat(size)}') as n`));
    const holder = await RawClient.open();
    await holder.started();
    const client = await RawClient.open();
    await client.started();
    holder.socket.write(query('begin'));
    await holder.until('Z');
    // Three are read and queued behind the holder's transaction (72 MiB, over the 64 MiB the server
    // queues per client): then it stops reading, and the fourth stays mostly on our side until it resumes.
    for (const q of queries.slice(0, 3)) await new Promise((r) => client.socket.write(q, r));
    client.socket.write(queries[3]);
    expect(client.messages().filter((m) => m.type === 'D'), 'answers before the holder commits').to.deep.equal([]);
    holder.socket.write(query('commit'));
    await client.until('Z', 4);
    expect(client.messages().filter((m) => m.type === 'D').map((m) => m.body.subarray(6, 7).toString())).to.deep.equal(['0', '1', '2', '3']);
    holder.socket.end();
    client.socket.end();
    await othersStillServed();
  });
});
