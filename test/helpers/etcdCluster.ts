// Starts and stops a real 3-member etcd cluster on loopback for integration
// tests: one child process per member, tracked by PID, with bounded waits and
// fault injection (SIGKILL, SIGSTOP/SIGCONT, restart) on one member by PID.
// Without /usr/bin/etcd the suites skip — except under CI (any CI but false/0), where that fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server as NetServer, type Socket } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { isCi } from './ci.js';
import { PeerProxy } from './peerProxy.js';

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';

/** Whether integration tests can run; logs why not. Throws under CI (see ci.ts) when etcd is missing. */
export function etcdAvailable(bin = ETCD_BIN): boolean {
  if (existsSync(bin)) return true;
  const message = `etcd binary not found at ${bin}: install it with "apt-get install -y etcd-server"`;
  if (isCi()) throw new Error(`${message} (CI is set: a missing etcd is a failure, not a skip)`);
  console.warn(`SKIPPING etcd integration tests — ${message}`);
  return false;
}

/** Whether the TLS test can make certificates; like etcdAvailable, a miss fails under CI=true. */
export function opensslAvailable(): boolean {
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0) return true;
  const message = 'openssl not found: install it with "apt-get install -y openssl"';
  if (isCi()) throw new Error(`${message} (CI is set: a failure, not a skip)`);
  console.warn(`SKIPPING the etcd TLS test — ${message}`);
  return false;
}

export interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  /**
   * What clients under test use and (unless `advertised` says otherwise) what the member
   * advertises: `127.0.0.1:<clientPort>`, or the member's proxy `127.0.0.1:<clientPort + 20>`
   * when the cluster has proxies.
   */
  endpoint: string;
  /** The client address the member advertises: `endpoint`, or an unreachable one (see `unreachableAdvertise`). */
  advertised: string;
  /** `127.0.0.1:<clientPort>`, bypassing any proxy (for admin clients and health checks). */
  directEndpoint: string;
  process: ChildProcess | undefined;
  stopped: boolean;
}

export interface ClusterOptions {
  /** First client port; members use base, base+1, base+2 and peer ports base+10.. Default 24791. */
  basePort?: number;
  /** Bounded wait for health, ms. Default 20 s. */
  startTimeoutMs?: number;
  /**
   * Put a TCP proxy in front of each member (port clientPort + 20) and advertise it,
   * so `partition()` can cut clients off while the cluster itself stays healthy.
   */
  proxy?: boolean;
  /** Serve clients over TLS with a throwaway CA made by openssl (`cluster.tls`). Not with `proxy`. */
  tls?: boolean;
  /**
   * Keep the data dirs on /dev/shm (when it exists): etcd fsyncs every write, and a
   * test writing 10,000 keys should measure ae-sync, not the disk.
   */
  inMemory?: boolean;
  /**
   * Members (by name, e.g. `['m2']`) that advertise a client URL nothing answers at,
   * `127.0.0.1:<clientPort + 5>` (a loopback port no cluster of these tests uses), as a
   * member behind NAT or a port-forward does; clients still reach them at `endpoint`.
   */
  unreachableAdvertise?: string[];
  /** More etcd flags for every member, e.g. `['--max-request-bytes', '4096']`. */
  extraArgs?: string[];
  /**
   * Put a PeerProxy in front of each member's peer port (port peerPort + 15) and advertise
   * it to the other members, so `isolate(name)` can make one member lag: it then receives
   * no raft message until `release(name)`, while the others go on with a quorum.
   */
  peerProxy?: boolean;
}

/** PEM files of a throwaway CA and a server certificate for 127.0.0.1, made with openssl. */
export interface TlsMaterial {
  caFile: string;
  certFile: string;
  keyFile: string;
  ca: Buffer;
}

function makeTlsMaterial(dir: string): TlsMaterial {
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore', timeout: 20_000 });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=ae-sync-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'server.pem']);
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key'), ca: readFileSync(join(dir, 'ca.pem')) };
}

/**
 * A loopback TCP proxy that can be partitioned: connections stall (bytes are held,
 * nothing is refused) until `heal()`, which drops them so clients reconnect.
 */
export class PartitionProxy {
  private server: NetServer | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  partitioned = false;

  constructor(readonly listenPort: number, readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = (): void => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      if (this.partitioned) return this.stall(pair);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
  }

  private stall([client, upstream]: [Socket, Socket]): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }

  /** From now on nothing passes in either direction; open connections hang. */
  partition(): void {
    this.partitioned = true;
    for (const pair of this.pairs) this.stall(pair);
  }

  /** Drops the stalled connections and forwards new ones again. */
  heal(): void {
    this.partitioned = false;
    for (const [client, upstream] of [...this.pairs]) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.heal();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function sleepMs(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function healthy(port: number, ca?: Buffer): Promise<boolean> {
  if (ca) {
    return new Promise((resolve) => {
      const req = httpsGet({ host: '127.0.0.1', port, path: '/health', ca, timeout: 1000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body.includes('"health":"true"')));
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
  }
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

export class EtcdCluster {
  readonly members: Member[];
  readonly dataDir: string;
  private readonly startTimeoutMs: number;
  private readonly initialCluster: string;
  private readonly scheme: 'http' | 'https';
  private readonly extraArgs: string[];
  /** Where the members reach each other's peer port: through a PeerProxy at +15, or directly. */
  private readonly peerOffset: number;
  readonly proxies: PartitionProxy[] = [];
  readonly peerProxies: PeerProxy[] = [];
  /** Set when the cluster serves clients over TLS. */
  readonly tls: TlsMaterial | undefined;

  constructor(options: ClusterOptions = {}) {
    // AE_SYNC_TEST_PORT_OFFSET shifts every cluster's ports, so two checkouts can run
    // their etcd suites side by side on one machine without sharing a port.
    const offset = Number(process.env.AE_SYNC_TEST_PORT_OFFSET ?? 0);
    if (!Number.isInteger(offset) || offset < 0 || offset > 30_000) throw new RangeError(`AE_SYNC_TEST_PORT_OFFSET must be an integer in [0, 30000], received ${process.env.AE_SYNC_TEST_PORT_OFFSET}`);
    const base = (options.basePort ?? 24791) + offset;
    const proxy = options.proxy === true;
    const scheme = options.tls ? 'https' : 'http';
    this.startTimeoutMs = options.startTimeoutMs ?? 20_000;
    const root = options.inMemory && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    this.dataDir = mkdtempSync(join(root, 'ae-sync-etcd-test-'));
    this.members = [0, 1, 2].map((i) => ({
      name: `m${i + 1}`,
      clientPort: base + i,
      peerPort: base + 10 + i,
      endpoint: `127.0.0.1:${base + i + (proxy ? 20 : 0)}`,
      advertised: (options.unreachableAdvertise ?? []).includes(`m${i + 1}`) ? `127.0.0.1:${base + i + 5}` : `127.0.0.1:${base + i + (proxy ? 20 : 0)}`,
      directEndpoint: `127.0.0.1:${base + i}`,
      process: undefined,
      stopped: false,
    }));
    this.tls = options.tls ? makeTlsMaterial(this.dataDir) : undefined;
    this.scheme = scheme;
    this.extraArgs = options.extraArgs ?? [];
    this.peerOffset = options.peerProxy ? 15 : 0;
    this.initialCluster = this.members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort + this.peerOffset}`).join(',');
    if (proxy) for (const m of this.members) this.proxies.push(new PartitionProxy(m.clientPort + 20, m.clientPort));
    if (options.peerProxy) for (const m of this.members) this.peerProxies.push(new PeerProxy(m.peerPort + this.peerOffset, m.peerPort));
  }

  /** Cuts every client that goes through the proxies off from the cluster. */
  partition(): void {
    for (const p of this.proxies) p.partition();
  }

  heal(): void {
    for (const p of this.proxies) p.heal();
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  member(name: string): Member {
    const m = this.members.find((x) => x.name === name || x.endpoint === name || x.directEndpoint === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  }

  private spawnMember(m: Member, state: 'new' | 'existing'): void {
    const args = [
      '--name', m.name,
      '--data-dir', join(this.dataDir, m.name),
      '--listen-client-urls', `${this.scheme}://127.0.0.1:${m.clientPort}`,
      '--advertise-client-urls', `${this.scheme}://${m.advertised}`,
      ...(this.tls ? ['--cert-file', this.tls.certFile, '--key-file', this.tls.keyFile] : []),
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort + this.peerOffset}`,
      '--initial-cluster', this.initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', `ae-sync-test-${this.members[0]?.clientPort}`,
      '--log-level', 'error',
      ...this.extraArgs,
    ];
    const child = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.resume(); // drain so a chatty member never blocks
    child.on('error', () => undefined);
    m.process = child;
    m.stopped = false;
  }

  /** Starts every member and waits (bounded) until all report healthy. */
  async start(): Promise<void> {
    for (const p of this.proxies) await p.start();
    for (const p of this.peerProxies) await p.start();
    for (const m of this.members) this.spawnMember(m, 'new');
    await this.waitHealthy(this.members);
  }

  async waitHealthy(members: Member[] = this.members, timeoutMs = this.startTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(members.map((m) => healthy(m.clientPort, this.tls?.ca)));
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) {
        throw new Error(`etcd members not healthy after ${timeoutMs} ms: ${members.filter((_, i) => !states[i]).map((m) => m.name).join(', ')}`);
      }
      await sleepMs(200);
    }
  }

  pid(name: string): number {
    const pid = this.member(name).process?.pid;
    if (pid === undefined) throw new Error(`member ${name} is not running`);
    return pid;
  }

  /** SIGKILL one member by PID and wait (bounded) for it to exit. */
  async kill(name: string): Promise<void> {
    const m = this.member(name);
    const child = m.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (m.stopped) process.kill(this.pid(name), 'SIGCONT');
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(this.pid(name), 'SIGKILL');
    await Promise.race([exited, sleepMs(5000)]);
    m.process = undefined;
    m.stopped = false;
  }

  /** Freezes one member (SIGSTOP): its sockets stay open but nothing answers. */
  freeze(name: string): void {
    process.kill(this.pid(name), 'SIGSTOP');
    this.member(name).stopped = true;
  }

  thaw(name: string): void {
    process.kill(this.pid(name), 'SIGCONT');
    this.member(name).stopped = false;
  }

  /** Starts killed members again on their data dirs and waits (bounded) until they are healthy. */
  async restart(...names: string[]): Promise<void> {
    const members = names.map((n) => this.member(n));
    for (const m of members) if (m.process) await this.kill(m.name);
    for (const m of members) this.spawnMember(m, 'existing');
    await this.waitHealthy(members);
  }

  /** A member's id as etcd's raft transport writes it (hex), asked of the cluster (bounded). */
  async memberIdHex(name: string): Promise<string> {
    const admin = this.adminClient();
    try {
      const { members } = await admin.cluster.memberList({});
      const found = members.find((x) => x.name === name);
      if (!found) throw new Error(`no member named ${name} in the member list`);
      return BigInt(found.ID).toString(16);
    } finally {
      admin.close();
    }
  }

  /**
   * Raft messages of `type` (a raftpb.MessageType) all members have sent each other over
   * their message streams so far (needs `peerProxy`), e.g. MSG_READ_INDEX: the ReadIndex
   * requests the followers sent the leader, one per batch of linearizable reads.
   */
  raftMessages(type: number): number {
    if (this.peerProxies.length === 0) throw new Error('raftMessages needs a cluster started with peerProxy: true');
    return this.peerProxies.reduce((n, p) => n + p.sent(type), 0);
  }

  /** Cuts `name` off from every raft message (needs `peerProxy`): it lags until `release`. */
  async isolate(name: string): Promise<void> {
    if (this.peerProxies.length === 0) throw new Error('isolate needs a cluster started with peerProxy: true');
    const id = await this.memberIdHex(name);
    for (const p of this.peerProxies) p.isolate(id);
  }

  /** Lets `name` receive raft messages again; it catches up from where it stopped. */
  async release(name: string): Promise<void> {
    const id = await this.memberIdHex(name);
    for (const p of this.peerProxies) p.release(id);
  }

  /** The name of the current leader, asked of any running member (bounded). */
  async leader(): Promise<string> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      for (const m of this.members.filter((x) => x.process && !x.stopped)) {
        const client = new Etcd3({ hosts: `${this.scheme}://${m.directEndpoint}`, ...this.credentials(), defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + 1000 }) });
        try {
          const status = await client.maintenance.status();
          const { members } = await client.cluster.memberList({});
          const leader = members.find((x) => x.ID === status.leader);
          if (leader && status.leader !== '0') return leader.name;
        } catch {
          // try the next member
        } finally {
          client.close();
        }
      }
      await sleepMs(200);
    }
    throw new Error('no etcd leader within 10 s');
  }

  private credentials(): { credentials?: { rootCertificate: Buffer } } {
    return this.tls ? { credentials: { rootCertificate: this.tls.ca } } : {};
  }

  /** A plain multi-member client for assertions and for tampering behind the agent's back. */
  adminClient(): Etcd3 {
    return new Etcd3({
      hosts: this.members.map((m) => `${this.scheme}://${m.directEndpoint}`),
      ...this.credentials(),
      defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + 2000 }),
      // Assertions read whole large nodes in one range (the backend itself pages).
      grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
    });
  }

  /** Kills every member by PID (SIGCONT first if frozen) and removes the data dir. */
  async stop(): Promise<void> {
    for (const m of this.members) await this.kill(m.name);
    for (const p of this.proxies) await p.close();
    for (const p of this.peerProxies) await p.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
