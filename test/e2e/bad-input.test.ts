// §1: every untrusted or broken datagram is dropped without a reply, counted per reason and per source,
// and the daemon keeps answering.
import { expect } from 'chai';
import { accountingRequest, responseProblem, statusServer } from '../helpers/packets.ts';
import { testKnex } from '../helpers/db.ts';
import { SECRET } from '../helpers/fixtures.ts';
import { makeClient, useTestServer } from '../helpers/listener.ts';
import { ATTRIBUTE } from '../../src/protocol/attribute-ids.ts';
import { md5Authenticator } from '../../src/protocol/authenticator.ts';
import { CODE } from '../../src/protocol/decode.ts';
import { encodePacket } from '../../src/protocol/encode.ts';

const knex = () => testKnex();

function valid(id: number): Buffer {
  return accountingRequest({ statusType: 'Start', sessionId: `ok${id}`, userName: 'ok', nasPort: id, identifier: id }, SECRET);
}

/** Rewrites the Length field (and optionally the size) of a signed packet. */
function withLength(buf: Buffer, length: number): Buffer {
  const copy = Buffer.from(buf);
  copy.writeUInt16BE(length, 2);
  return copy;
}

describe('listener: bad input is dropped, counted, and harmless', function () {
  const ctx = useTestServer();

  async function expectDropped(datagrams: Buffer[]): Promise<void> {
    for (const d of datagrams) await ctx.server.client.send(d);
    // Loopback UDP keeps order: once a later valid packet is answered, the bad ones were handled.
    const probe = valid(200);
    const response = await ctx.server.client.request(probe);
    expect(response, 'the daemon still answers').to.not.equal(null);
    expect(responseProblem(response!, probe, SECRET)).to.equal(null);
    expect(ctx.server.client.received.map((r) => r[1]), 'only the valid probe was answered').to.deep.equal([200]);
    await ctx.server.listener.flushTally();
  }

  async function nasCounters() {
    return knex()('nas').where({ id: ctx.nasId }).first();
  }

  it('malformed: truncated, bad Length, bad attribute lengths, missing Acct-Status-Type or Acct-Session-Id', async () => {
    const good = valid(1);
    const badAttrLen = Buffer.from(good);
    badAttrLen[21] = 1; // first attribute's length octet
    const overrun = Buffer.from(good);
    overrun[21] = 250;
    await expectDropped([
      good.subarray(0, 10),
      withLength(good, 19),
      withLength(good, good.length + 10),
      withLength(good, 4097),
      badAttrLen,
      overrun,
      accountingRequest({ statusType: 'Interim-Update', userName: 'nosid', nasPort: 1 }, SECRET),
      withoutStatusType(),
    ]);
    const nas = await nasCounters();
    expect(nas.discard_malformed).to.equal(8n);
    expect(await knex()('sessions').count({ n: '*' }).first()).to.deep.equal({ n: 1n });
  });

  it('trailing padding past Length is ignored: the packet is accepted', async () => {
    const padded = Buffer.concat([valid(7), Buffer.alloc(13, 0xab)]);
    const response = await ctx.server.client.request(padded);
    expect(response).to.not.equal(null);
    expect(responseProblem(response!, padded.subarray(0, padded.readUInt16BE(2)), SECRET)).to.equal(null);
  });

  it('bad_authenticator: wrong secret, tampered byte, bad Message-Authenticator, Status-Server without one', async () => {
    const tampered = Buffer.from(valid(2));
    tampered[4] ^= 0x54; // d4→80 style: a single authenticator byte changed
    const withMa = accountingRequest({ statusType: 'Start', sessionId: 'ma', userName: 'm', nasPort: 3, messageAuthenticator: true, identifier: 3 }, SECRET);
    const badMa = Buffer.from(withMa);
    badMa[22] ^= 0xff; // inside the Message-Authenticator value (it is the first attribute)
    const statusNoMa = statusServer(SECRET, 4);
    const stripped = Buffer.from(statusNoMa.subarray(0, 20));
    stripped.writeUInt16BE(20, 2);
    await expectDropped([
      accountingRequest({ statusType: 'Start', sessionId: 'w', userName: 'w', nasPort: 1 }, 'wrong-secret'),
      tampered,
      badMa,
      stripped,
      statusServer('wrong-secret', 5),
    ]);
    expect((await nasCounters()).discard_bad_authenticator).to.equal(5n);
  });

  it('unsupported_code: Access-Request and others', async () => {
    const accessRequest = Buffer.from(valid(9));
    accessRequest[0] = 1;
    const response5 = Buffer.from(valid(10));
    response5[0] = 5;
    const disconnect = Buffer.from(valid(11));
    disconnect[0] = 40;
    await expectDropped([accessRequest, response5, disconnect]);
    expect((await nasCounters()).discard_unsupported_code).to.equal(3n);
  });

  it('unknown NAS: no reply; the source is remembered with first/last seen and a count', async () => {
    await knex()('nas').where({ id: ctx.nasId }).update({ address: '192.0.2.99' });
    await ctx.server.listener.reloadNas();
    for (let i = 0; i < 3; i++) await ctx.server.client.send(valid(20 + i));
    await knex()('nas').where({ id: ctx.nasId }).update({ address: '127.0.0.1' });
    await ctx.server.listener.reloadNas();
    await expectDropped([]);
    const unknown = await knex()('unknown_sources').select(knex().raw('host(address) as address'), 'count', 'first_seen', 'last_seen');
    expect(unknown).to.have.length(1);
    expect(unknown[0]).to.include({ address: '127.0.0.1', count: 3n });
    expect(unknown[0].last_seen.getTime()).to.be.at.least(unknown[0].first_seen.getTime());
  });

  it('random junk never crashes the daemon', async () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const junk = Array.from({ length: 200 }, (_, i) => {
      const base = valid(30 + (i % 100));
      const copy = Buffer.from(base.subarray(0, Math.floor(rand() * (base.length + 20))));
      for (let k = 0; k < 3 && copy.length > 0; k++) copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
      return copy;
    });
    const other = await makeClient(ctx.server.listener.address().port);
    for (const d of junk) await other.send(d);
    other.close();
    await expectDropped([]);
  });
});

/** A correctly signed Accounting-Request with no Acct-Status-Type at all. */
function withoutStatusType(): Buffer {
  const bytes = encodePacket({
    code: CODE.ACCOUNTING_REQUEST,
    identifier: 77,
    authenticator: Buffer.alloc(16),
    attributes: [{ type: ATTRIBUTE.ACCT_SESSION_ID, value: Buffer.from('nostatus') }],
  });
  md5Authenticator(bytes, Buffer.alloc(16), Buffer.from(SECRET)).copy(bytes, 4);
  return bytes;
}
