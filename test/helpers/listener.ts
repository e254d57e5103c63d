// A real listener on 127.0.0.1 (random port) writing to the test database, and a real UDP client.
import dgram from 'node:dgram';
import { LISTENER_DEFAULTS, type ListenerConfig } from '../../src/config/config.ts';
import { makeStderrLogger, silentLogger } from '../../src/log.ts';
import { startListener, type Listener } from '../../src/server/listener.ts';
import { testConnection, testKnex, truncateAll } from './db.ts';
import { insertNas } from './fixtures.ts';

export interface TestClient {
  /** Sends and waits for the response with the same Identifier (null after `timeoutMs`). */
  request(datagram: Buffer, timeoutMs?: number): Promise<Buffer | null>;
  send(datagram: Buffer): Promise<void>;
  /** Every datagram received so far. */
  readonly received: Buffer[];
  close(): void;
}

export async function makeClient(port: number): Promise<TestClient> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  const waiters: { id: number; resolve(b: Buffer): void }[] = [];
  socket.on('message', (msg) => {
    received.push(msg);
    const i = waiters.findIndex((w) => w.id === msg[1]);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(msg);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const send = (datagram: Buffer) =>
    new Promise<void>((resolve, reject) => socket.send(datagram, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  return {
    received,
    send,
    async request(datagram, timeoutMs = 5000) {
      const response = new Promise<Buffer | null>((resolve) => {
        const w = { id: datagram[1]!, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            resolve(null);
          }
        }, timeoutMs);
      });
      await send(datagram);
      return response;
    },
    close: () => socket.close(),
  };
}

export interface TestServer {
  listener: Listener;
  client: TestClient;
  stop(): Promise<void>;
}

export async function startTestServer(opts: Partial<ListenerConfig> = {}): Promise<TestServer> {
  const listener = await startListener({
    ...LISTENER_DEFAULTS,
    host: '127.0.0.1',
    port: 0,
    nasReloadMs: 200,
    ...opts,
    knex: testKnex(),
    connection: testConnection(),
    log: process.env.RADTRACK_TEST_LOG ? makeStderrLogger({ debug: true }) : silentLogger,
  });
  const client = await makeClient(listener.address().port);
  return {
    listener,
    client,
    async stop() {
      client.close();
      await listener.stop();
    },
  };
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Mocha hooks: a clean database with one NAS (127.0.0.1, SECRET) and a running listener for each test. */
export function useTestServer(opts: Partial<ListenerConfig> = {}): { server: TestServer; nasId: bigint } {
  const ctx = {} as { server: TestServer; nasId: bigint };
  beforeEach(async () => {
    await truncateAll();
    ctx.nasId = await insertNas(testKnex(), '127.0.0.1');
    ctx.server = await startTestServer(opts);
  });
  afterEach(async () => ctx.server.stop());
  return ctx;
}
