/**
 * A load worker of `npm run bench:connections`: holds its share of idle registers on raw sockets
 * (one process cannot hold 20,000 sockets under a 20,000 fd limit, and mqtt.js clients are heavy).
 * Each register sends a CONNECT (keepalive 30 s, clean session, its own credentials), SUBSCRIBEs to
 * its own down topic like the agent does, and a PINGREQ every half keepalive; with `tls` it connects
 * over TLS with its own client certificate (CN = register id). When its connection closes or is
 * refused (CONNACK 3 from a busy server, a refused TCP connect while the server restarts) it tries
 * again on the agent's own schedule: exponential backoff with full jitter (terminal-agent
 * core/reconnect-backoff.ts, the same bounds).
 *
 * IPC: the job comes in first; then "mark" (a restart begins: count logins from here), "stop".
 * The worker reports its counts every 250 ms.
 */
import { readFileSync } from "node:fs";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls, createSecureContext, TLSSocket, type SecureContext } from "node:tls";
import { generate } from "mqtt-packet";
// The agent's own schedule, from its light subpath (the package root would load the whole agent into every worker).
import { connectFailureOf, MQTT_RECONNECT_BOUNDS, ReconnectBackoff, type ConnectFailure } from "@codepay/terminal-agent/reconnect-backoff";
import { registerCertificateMaker } from "./bench-certificates.js";

export interface WorkerJob {
  readonly mqttPort: number;
  readonly storeId: string;
  readonly credentials: readonly { registerId: string; password: string }[];
  /** Initial connects per second (connection i starts at i / rate s). */
  readonly ratePerS: number;
  /** MQTT over TLS with client certificates signed by the CA in this directory (ca.crt, ca.key). */
  readonly tls?: { readonly caDir: string };
}

export interface WorkerCounts {
  /** Registers online now (CONNACK accepted, socket open). */
  online: number;
  /** Online now on a connection accepted after the last "mark". */
  onlineSinceMark: number;
  /** Accepted logins after the mark, and when the first and the last came (epoch ms). */
  acceptedSinceMark: number;
  firstAcceptedSinceMarkMs?: number;
  lastAcceptedSinceMarkMs?: number;
  /** Accepted logins after the mark by epoch second (the peak rate). */
  acceptedPerSecond: Record<string, number>;
  /** Refused with CONNACK 3 (server unavailable: the login queue was full or the wait too long). */
  refusedBusy: number;
  /** Refused with another CONNACK code (a wrong password or certificate: a bench bug). */
  refusedOther: number;
  /** Connects that failed before a CONNACK (refused TCP connect, reset, TLS error). */
  connectFailures: number;
  /** The same by socket error code (ECONNREFUSED while the server is down; ECONNRESET, ETIMEDOUT...). */
  connectFailuresByCode: Record<string, number>;
  /** Connections that closed while online. */
  dropped: number;
  /** Every register has been online at least once (the initial connect is over). */
  allConnectedOnce: boolean;
  firstError?: string;
}

const KEEPALIVE_S = 30;
const CONNACK_ACCEPTED = 0;
const CONNACK_SERVER_UNAVAILABLE = 3;

class IdleRegister {
  socket: Socket | undefined;
  online = false;
  onlineSinceMark = false;
  everOnline = false;
  readonly #backoff = new ReconnectBackoff(MQTT_RECONNECT_BOUNDS, Math.random);
  #timer: NodeJS.Timeout | undefined;
  /** Why the current attempt failed (the agent's link tells a refused connect from the rest the same way). */
  #failure: ConnectFailure = "other";

  constructor(
    private readonly fleet: Fleet,
    readonly registerId: string,
    private readonly password: string,
    private readonly tls: { ca: string; cert: string; key: string } | undefined,
  ) {}

  /*
   * One TLS context per register, made at its first connect and kept, as the agent's process keeps
   * its own: passing the PEM strings to every connect would parse key, certificate and CA again each
   * time (about a millisecond with OpenSSL 3), and 20,000 registers reconnecting on two shared cores
   * would then measure the load generator, not the server.
   */
  #secureContext: SecureContext | undefined;
  /** The last TLS session the server gave this register: the next connect resumes it, as the agent does. */
  #tlsSession: Buffer | undefined;

  open(): void {
    const { port } = this.fleet.job;
    if (this.tls !== undefined) this.#secureContext ??= createSecureContext(this.tls);
    const socket =
      this.#secureContext === undefined
        ? connectTcp({ host: "127.0.0.1", port, noDelay: true })
        : connectTls({ host: "127.0.0.1", port, secureContext: this.#secureContext, servername: "localhost", ...(this.#tlsSession !== undefined ? { session: this.#tlsSession } : {}) });
    if (socket instanceof TLSSocket) socket.on("session", (session: Buffer) => (this.#tlsSession = session));
    this.socket = socket;
    const sendConnect = (): void => {
      socket.setNoDelay(true);
      socket.write(
        generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: this.registerId, keepalive: KEEPALIVE_S, username: this.registerId, password: Buffer.from(this.password, "utf8") }),
      );
    };
    socket.once(this.tls === undefined ? "connect" : "secureConnect", sendConnect);
    let answered = false;
    socket.on("data", (bytes: Buffer) => {
      if (answered || bytes[0] !== 0x20) return;
      // CONNACK: 0x20 0x02 <session present> <return code> (MQTT 3.1.1 §3.2).
      answered = true;
      if (bytes[3] === CONNACK_ACCEPTED) this.#accepted(socket);
      else {
        if (bytes[3] === CONNACK_SERVER_UNAVAILABLE) this.fleet.counts.refusedBusy += 1;
        else this.fleet.counts.refusedOther += 1;
        socket.destroy();
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      this.#failure = connectFailureOf(error.code, !answered);
      this.fleet.counts.firstError ??= error.message;
      if (!answered) {
        this.fleet.counts.connectFailures += 1;
        const code = error.code ?? "other";
        this.fleet.counts.connectFailuresByCode[code] = (this.fleet.counts.connectFailuresByCode[code] ?? 0) + 1;
      }
      answered = true;
    });
    socket.on("close", () => this.#closed(socket));
  }

  #accepted(socket: Socket): void {
    const counts = this.fleet.counts;
    this.online = true;
    this.everOnline = true;
    counts.online += 1;
    this.#backoff.connected(Date.now());
    if (this.fleet.marked) {
      const now = Date.now();
      this.onlineSinceMark = true;
      counts.onlineSinceMark += 1;
      counts.acceptedSinceMark += 1;
      counts.firstAcceptedSinceMarkMs ??= now;
      counts.lastAcceptedSinceMarkMs = now;
      const second = String(Math.floor(now / 1000));
      counts.acceptedPerSecond[second] = (counts.acceptedPerSecond[second] ?? 0) + 1;
    }
    const down = `codepay/v1/${this.fleet.job.storeId}/${this.registerId}/down`;
    socket.write(generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: down, qos: 1 }] }));
  }

  #closed(socket: Socket): void {
    if (socket !== this.socket) return;
    if (this.online) {
      this.online = false;
      this.fleet.counts.online -= 1;
      this.fleet.counts.dropped += 1;
      if (this.onlineSinceMark) this.fleet.counts.onlineSinceMark -= 1;
      this.onlineSinceMark = false;
    }
    this.socket = undefined;
    if (this.fleet.stopped) return;
    const failure = this.#failure;
    this.#failure = "other";
    this.#timer = setTimeout(() => this.open(), this.#backoff.nextDelayMs(Date.now(), failure));
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.socket?.destroy();
  }
}

class Fleet {
  readonly counts: WorkerCounts = { online: 0, onlineSinceMark: 0, acceptedSinceMark: 0, refusedBusy: 0, refusedOther: 0, connectFailures: 0, connectFailuresByCode: {}, dropped: 0, allConnectedOnce: false, acceptedPerSecond: {} };
  marked = false;
  stopped = false;
  readonly registers: IdleRegister[] = [];

  constructor(readonly job: WorkerJob & { port: number }) {}
}

export async function runWorker(job: WorkerJob): Promise<void> {
  const fleet = new Fleet({ ...job, port: job.mqttPort });
  const maker = job.tls === undefined ? undefined : registerCertificateMaker(job.tls.caDir);
  const ca = job.tls === undefined ? undefined : readFileSync(`${job.tls.caDir}/ca.crt`, "utf8");
  for (const credential of job.credentials) {
    const tls = maker === undefined || ca === undefined ? undefined : { ca, cert: maker.certificateFor(credential.registerId), key: maker.keyPem };
    fleet.registers.push(new IdleRegister(fleet, credential.registerId, credential.password, tls));
  }
  const report = (): void => {
    fleet.counts.allConnectedOnce ||= fleet.registers.every((register) => register.everOnline);
    process.send?.(fleet.counts);
  };
  const reporter = setInterval(report, 250);
  const pingreq = generate({ cmd: "pingreq" });
  const pinger = setInterval(() => {
    for (const register of fleet.registers) if (register.online) register.socket?.write(pingreq);
  }, (KEEPALIVE_S * 1000) / 2);
  process.on("message", (message) => {
    if (message === "mark") {
      fleet.marked = true;
      fleet.counts.onlineSinceMark = 0;
      fleet.counts.acceptedSinceMark = 0;
      fleet.counts.acceptedPerSecond = {};
      delete fleet.counts.firstAcceptedSinceMarkMs;
      delete fleet.counts.lastAcceptedSinceMarkMs;
      fleet.counts.refusedBusy = 0;
      fleet.counts.connectFailures = 0;
      fleet.counts.connectFailuresByCode = {};
      for (const register of fleet.registers) register.onlineSinceMark = false;
      report();
    } else if (message === "stop") {
      fleet.stopped = true;
      clearInterval(reporter);
      clearInterval(pinger);
      for (const register of fleet.registers) register.stop();
      process.exit(0);
    }
  });
  report(); // ready: certificates made, the connects start now
  const started = performance.now();
  for (let index = 0; index < fleet.registers.length; index += 1) {
    // Open at the set rate: register i starts at i / rate seconds.
    const dueMs = started + (index * 1000) / job.ratePerS - performance.now();
    if (dueMs > 0) await new Promise((done) => setTimeout(done, dueMs));
    fleet.registers[index]!.open();
  }
}

if (process.argv.includes("--worker")) process.once("message", (job) => void runWorker(job as WorkerJob));
