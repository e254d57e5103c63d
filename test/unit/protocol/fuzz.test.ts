import { expect } from 'chai';
import { readAccountingAttributes, journalAttributes } from '../../../src/protocol/attributes.ts';
import { isAuthenticAccountingRequest, isAuthenticStatusServer } from '../../../src/protocol/authenticator.ts';
import { encodeAccountingResponse } from '../../../src/protocol/encode.ts';
import { decodePacket } from '../../../src/protocol/decode.ts';
import { SECRET } from '../../helpers/fixtures.ts';
import { accountingRequest, statusServer } from '../../helpers/packets.ts';

const KEY = Buffer.from(SECRET);
const CASES = 4000;

// mulberry32: small, deterministic, good enough to spread inputs.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function everything(datagram: Buffer): void {
  const result = decodePacket(datagram);
  if (!result.ok) return;
  const { packet } = result;
  readAccountingAttributes(packet);
  JSON.stringify(journalAttributes(packet));
  const authentic = isAuthenticAccountingRequest(packet, KEY) || isAuthenticStatusServer(packet, KEY);
  if (authentic) encodeAccountingResponse(packet, KEY);
}

const SEEDS = [
  accountingRequest(
    {
      statusType: 'Interim-Update',
      sessionId: 'fuzz',
      userName: 'u',
      nasIp: '10.0.0.1',
      inputOctets: 5n << 32n,
      eventTimestamp: 1,
      terminateCause: 1,
      proxyState: [Buffer.from('p')],
      messageAuthenticator: true,
      extra: [
        { type: 26, value: Buffer.from('0000000901066162', 'hex') },
        { type: 64, value: Buffer.from('0100000d', 'hex') },
      ],
    },
    KEY,
  ),
  statusServer(KEY, 1),
];

describe('protocol: fuzz (deterministic seed)', () => {
  it(`random datagrams never make decode, attributes, journal or checks throw (${CASES} cases)`, () => {
    const next = random(0x5eed);
    for (let i = 0; i < CASES; i++) {
      const datagram = Buffer.from(Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256)));
      // Half get a plausible header so the attribute walk is reached.
      if (datagram.length >= 20 && next() < 0.5) {
        datagram[0] = next() < 0.5 ? 4 : 12;
        datagram.writeUInt16BE(datagram.length - Math.floor(next() * 4), 2);
      }
      expect(() => everything(datagram), datagram.toString('hex')).not.to.throw();
    }
  });

  it(`mutated valid packets never throw and are never authentic (${CASES} cases)`, () => {
    const next = random(0xbad5eed);
    const authentic: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const original = SEEDS[i % SEEDS.length];
      const mutated = Buffer.from(original);
      for (let flips = 1 + Math.floor(next() * 4); flips > 0; flips--) {
        mutated[Math.floor(next() * mutated.length)] = Math.floor(next() * 256);
      }
      const cut = next() < 0.2 ? mutated.subarray(0, Math.floor(next() * mutated.length)) : mutated;
      expect(() => everything(cut), cut.toString('hex')).not.to.throw();
      const result = decodePacket(cut);
      const changed = result.ok && !result.packet.bytes.equals(original);
      if (changed && (isAuthenticAccountingRequest(result.packet, KEY) || isAuthenticStatusServer(result.packet, KEY))) authentic.push(cut.toString('hex'));
    }
    expect(authentic, 'mutated packets accepted as authentic').to.deep.equal([]);
  });
});
