// A loopback TCP proxy in front of one etcd member's peer port that can hold back
// every connection a given member dialed (etcd's raft transport names its sender in
// the `X-Server-From` header of each peer request). A member receives the leader's
// raft messages over streams it dialed itself, so holding its connections to every
// peer makes it lag for as long as the test wants — deterministically, unlike a
// SIGSTOP race. Released connections carry on where they stopped: nothing is dropped.
// It also counts the raft messages on the streams it forwards (RaftStreamCounter).
import { createConnection, createServer, type Server as NetServer, type Socket } from 'node:net';
import { RaftStreamCounter } from './raftStream.js';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** The member that dialed, as etcd writes it (hex id), once its request headers were read. */
  from: string | undefined;
  held: boolean;
}

/** Most bytes read while looking for the request headers (etcd's peer requests are far smaller). */
const MAX_HEADER_BYTES = 16 * 1024;

export class PeerProxy {
  private server: NetServer | undefined;
  private readonly pairs = new Set<Pair>();
  private readonly isolated = new Set<string>();
  /** One counter per message stream ever forwarded (closed ones included). */
  private readonly streams: RaftStreamCounter[] = [];

  constructor(readonly listenPort: number, readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
  }

  private accept(client: Socket): void {
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
    const pair: Pair = { client, upstream, from: undefined, held: false };
    this.pairs.add(pair);
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    // Read the request headers first, to learn who dialed; then forward everything.
    let head = Buffer.alloc(0);
    const sniff = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const text = head.toString('latin1');
      if (!text.includes('\r\n\r\n') && head.length < MAX_HEADER_BYTES) return;
      client.off('data', sniff);
      pair.from = /\r\nX-Server-From: *([0-9a-f]+)\r\n/i.exec(text)?.[1]?.toLowerCase();
      // The response of a message stream carries this member's raft messages to the dialer.
      if (text.startsWith('GET /raft/stream/message/')) {
        const counter = new RaftStreamCounter();
        this.streams.push(counter);
        upstream.on('data', (data: Buffer) => counter.push(data));
      }
      client.pause();
      upstream.write(head);
      if (pair.from !== undefined && this.isolated.has(pair.from)) this.hold(pair);
      else this.flow(pair);
    };
    client.on('data', sniff);
  }

  private flow(pair: Pair): void {
    pair.held = false;
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
    pair.client.resume();
    pair.upstream.resume();
  }

  private hold(pair: Pair): void {
    pair.held = true;
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    pair.client.pause();
    pair.upstream.pause();
  }

  /** Holds every connection `memberIdHex` dialed, now and from now on, in both directions. */
  isolate(memberIdHex: string): void {
    this.isolated.add(memberIdHex);
    for (const pair of this.pairs) if (pair.from === memberIdHex && !pair.held) this.hold(pair);
  }

  /** Lets `memberIdHex`'s connections carry on where they stopped. */
  release(memberIdHex: string): void {
    this.isolated.delete(memberIdHex);
    for (const pair of this.pairs) if (pair.from === memberIdHex && pair.held) this.flow(pair);
  }

  /** Raft messages of `type` this member has sent over message streams so far. */
  sent(type: number): number {
    return this.streams.reduce((n, c) => n + (c.byType.get(type) ?? 0), 0);
  }

  async close(): Promise<void> {
    for (const pair of [...this.pairs]) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
