/**
 * Message and handler targets: the protocol parser on every schema; the server's register request
 * path (router, handlers, settlement, a real SQLite database) on every request type; the agent's
 * handling of every server message (real journal); the shopper API through fastify's inject with
 * valid carrier assertions, so bodies reach the handlers; the agent's config file.
 * A rejection must be a clear error: a listed error code and a message; never a throw, a 500 or INTERNAL.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CARRIER_ID, DEFAULT_GUESS_POLICY, NonceCache, PhoneAuthenticator, RequestRouter, ResultDelivery, buildShopperApp, ShopperOperations, ensureCarrier, newAssertionNonce, openDatabase, serverLimits, signPhoneAssertion, type Db, type RegisterLine, type RequestListener, type SettlementContext } from "@codepay/sync-server/parts";
import { createLogger as createServerLogger, createStore, enrollRegister, enrollUser, silentLogger, topUp } from "@codepay/sync-server";
import {
  ClaimRequestSchema,
  DecisionRequestSchema,
  ERROR_CODES,
  PHONE_ASSERTION_HEADER,
  PresenceSchema,
  RegisterRequestSchema,
  ServerMessageSchema,
  parseMessage,
  type ServerMessage,
} from "@codepay/contract";
import { AgentError, Journal, PaymentRuntime, type ReceiptPrinter } from "@codepay/terminal-agent/parts";
import { createLogger, loadConfig, parseConfig } from "@codepay/terminal-agent";
import { Prng } from "../simulation/prng.js";
import { jsonPayload, mutateBytes, mutateJson, randomBytes, type Json } from "./mutate.js";
import { FuzzFailure, type FuzzTarget } from "./target.js";

const STORE_ID = "fuzz-store";
const REGISTER_ID = "fuzz-reg";
const PHONE_ID = "+810000000201";
const KNOWN_CODES = new Set<string>(ERROR_CODES);

function id(prng: Prng): string {
  return `fz${prng.nextUint32().toString(36)}${prng.nextUint32().toString(36)}`;
}

function checkClearError(where: string, code: unknown, message: unknown): void {
  if (typeof code !== "string" || !KNOWN_CODES.has(code)) throw new FuzzFailure(`${where}: error code ${JSON.stringify(code)} is not a listed code`);
  if (code === "INTERNAL") throw new FuzzFailure(`${where}: INTERNAL (${String(message)})`);
  if (typeof message !== "string" || message.length === 0) throw new FuzzFailure(`${where}: error ${code} without a message`);
}

/** Every schema on the wire, through the one parser the server, agent and phone use. */
export function protocolTarget(): FuzzTarget {
  const schemas = [
    { name: "register request", schema: RegisterRequestSchema as never, samples: registerRequestSamples(new Prng(1), ["fz-known-1"]) },
    { name: "server message", schema: ServerMessageSchema as never, samples: serverMessageSamples(["fz-known-1"], ["fzrequest01"]) },
    { name: "presence", schema: PresenceSchema as never, samples: [{ v: 1, type: "presence", state: "online", at: 1 }] as Json[] },
    { name: "claim", schema: ClaimRequestSchema as never, samples: [{ requestId: "fzrequest01", code: "4829137" }] as Json[] },
    { name: "decision", schema: DecisionRequestSchema as never, samples: [{ requestId: "fzrequest01" }] as Json[] },
  ];
  return {
    name: "protocol:parseMessage",
    run(prng) {
      const { name, schema, samples } = prng.pick(schemas);
      const payload = jsonPayload(prng, samples);
      const parsed = parseMessage(schema, prng.chance(0.5) ? payload : payload.toString("utf8"));
      if (!parsed.ok) checkClearError(`parseMessage(${name})`, parsed.code, parsed.message);
    },
  };
}

function registerRequestSamples(prng: Prng, paymentIds: readonly string[]): Json[] {
  const paymentId = paymentIds.length > 0 ? prng.pick(paymentIds) : id(prng);
  const base = { v: 1, requestId: id(prng) };
  return [
    { ...base, type: "payment.create", paymentId: id(prng), amount: { minor: 1200, currency: "JPY" }, lines: [{ text: "Coffee", amountMinor: 1200 }] },
    { ...base, type: "payment.cancel", paymentId },
    { ...base, type: "payment.status", paymentId },
    { ...base, type: "result.ack", paymentId, resultId: id(prng) },
    { ...base, type: "payment.card", paymentId: id(prng), amount: { minor: 500, currency: "JPY" }, card: { token: "a".repeat(64), last4: "1111", expiry: "3012" } },
    { ...base, type: "payment.void", paymentId },
    { ...base, type: "refund.create", refundId: id(prng), paymentId, amount: { minor: 100, currency: "JPY" } },
    { ...base, type: "report.request", kind: prng.chance(0.9) ? "x" : "z" },
  ];
}

function serverMessageSamples(paymentIds: readonly string[], requestIds: readonly string[]): Json[] {
  const paymentId = paymentIds[0] ?? "fz-known-1";
  const inReplyTo = requestIds[0] ?? "fzrequest01";
  const amount = { minor: 1200, currency: "JPY" };
  return [
    { v: 1, type: "payment.issued", inReplyTo, paymentId, code: "4829137", amount, expiresAt: 1_700_000_120_000, storeName: "Fuzz Store" },
    { v: 1, type: "payment.state", resultId: "fzresult01", paymentId, state: "approved", amount, reference: "ref-1", updatedAt: 1 },
    { v: 1, type: "payment.state", inReplyTo, paymentId, state: "declined", amount, reason: "INSUFFICIENT_FUNDS", updatedAt: 1 },
    { v: 1, type: "payment.state", resultId: "fzresult02", paymentId, state: "voided", amount, updatedAt: 2 },
    { v: 1, type: "error", inReplyTo, error: { code: "PAYMENT_EXISTS", message: "exists" } },
    { v: 1, type: "refund.result", inReplyTo, refundId: "fzrefund01", paymentId, amount, reversedTotalMinor: 1200, reference: "ref-2", updatedAt: 3 },
    {
      v: 1, type: "report", inReplyTo, kind: "x", registerId: REGISTER_ID, storeId: STORE_ID, periodNumber: 1, openedAt: 0,
      totals: [{ currency: "JPY", tender: "code", payments: { count: 1, minor: 1200 }, voids: { count: 0, minor: 0 }, refunds: { count: 0, minor: 0 }, netMinor: 1200 }],
    },
  ];
}

interface ServerFixture {
  readonly dataDir: string;
  readonly db: Db;
  readonly context: SettlementContext;
  readonly requestListeners: RequestListener[];
  readonly replies: ServerMessage[];
  readonly router: RequestRouter;
  readonly paymentIds: string[];
  readonly openCodes: string[];
  now: number;
}

/** A server database with a store, a register, a phone with money; the router wired to a capturing line. */
export async function startServerFixture(): Promise<ServerFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), "codepay-fuzz-"));
  await createStore({ dataDir, id: STORE_ID, name: "Fuzz Store", currency: "JPY", now: 0 });
  await enrollRegister({ dataDir, storeId: STORE_ID, registerId: REGISTER_ID, name: "Fuzz", now: 0 });
  await enrollUser({ dataDir, userId: "fuzz-user", name: "Fuzz", phoneId: PHONE_ID, now: 0 });
  await topUp({ dataDir, userId: "fuzz-user", amountMinor: 1_000_000_000, currency: "JPY", requestId: "fuzz-topup", now: 0 });
  const db = await openDatabase(dataDir);
  const requestListeners: RequestListener[] = [];
  const replies: ServerMessage[] = [];
  const line: RegisterLine = {
    onRequest: (listener) => void requestListeners.push(listener),
    onRegisterOnline: () => undefined,
    onPresence: () => undefined,
    publishToRegister: (_to, message) => {
      replies.push(message);
      return Promise.resolve();
    },
  };
  const prng = new Prng(7);
  const fixture: ServerFixture = {
    dataDir,
    db,
    requestListeners,
    replies,
    paymentIds: [],
    openCodes: [],
    now: 1_700_000_000_000,
    context: undefined as unknown as SettlementContext,
    router: undefined as unknown as RequestRouter,
  };
  const delivery = new ResultDelivery(db, () => fixture.now, silentLogger(), line.publishToRegister);
  const context: SettlementContext = {
    db,
    clock: () => fixture.now,
    // CODEPAY_FUZZ_LOG=error shows why the server refused with INTERNAL.
    logger: process.env["CODEPAY_FUZZ_LOG"] ? createServerLogger({ level: process.env["CODEPAY_FUZZ_LOG"], pretty: false }) : silentLogger(),
    codeTtlMs: 120_000,
    codeRandomDigits: 6,
    allocationAttemptsMax: serverLimits.allocationAttemptsMax,
    randomDigit: () => prng.int(10),
    deliverResults: (rows) => delivery.deliver(rows),
    notifyRegister: (to, message) => void line.publishToRegister(to, message),
    // Generous: the fuzzer's one phone guesses wrong codes all the time; the limits have their own tests.
    guessPolicy: { ...DEFAULT_GUESS_POLICY, freeFailures: 1_000_000_000, lockoutFailures: 1_000_000_001 },
    pinThresholdMinor: 100_000,
    sandbox: false,
  };
  const router = new RequestRouter(context, line);
  router.start();
  return Object.assign(fixture, { context, router });
}

export async function stopServerFixture(fixture: ServerFixture): Promise<void> {
  await fixture.router.drain();
  await fixture.db.destroy();
  rmSync(fixture.dataDir, { recursive: true, force: true });
}

/** The register request path: `.../up` payloads from an enrolled register (and from unknown ones). */
export function serverRequestTarget(fixture: ServerFixture): FuzzTarget {
  return {
    name: "server:register-request",
    async run(prng) {
      fixture.now += prng.int(2_000);
      const payload = prng.chance(0.05) ? randomBytes(prng, 2048) : jsonPayload(prng, registerRequestSamples(prng, fixture.paymentIds));
      // Always the enrolled register: the broker authenticates registers and confines their topics
      // (sync-server's broker tests), so the handlers may assume the sender exists.
      fixture.replies.length = 0;
      for (const listener of fixture.requestListeners) listener({ storeId: STORE_ID, registerId: REGISTER_ID }, payload);
      await fixture.router.drain();
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (const reply of fixture.replies) {
        const valid = ServerMessageSchema.safeParse(reply);
        if (!valid.success) throw new FuzzFailure(`the server sent a message its own schema refuses: ${valid.error.issues[0]?.message}`);
        if (reply.type === "error") checkClearError(`register request ${payload.toString("utf8").slice(0, 300)}`, reply.error.code, reply.error.message);
        if (reply.type === "payment.issued") {
          fixture.paymentIds.push(reply.paymentId);
          fixture.openCodes.push(reply.code);
          if (fixture.paymentIds.length > 200) fixture.paymentIds.shift();
          if (fixture.openCodes.length > 200) fixture.openCodes.shift();
        }
      }
    },
  };
}

/** The shopper API: phone requests with a valid carrier assertion (mostly), random bodies, paths and headers. */
export async function shopperApiTarget(fixture: ServerFixture): Promise<FuzzTarget> {
  const carrier = await ensureCarrier(fixture.db, fixture.dataDir, DEFAULT_CARRIER_ID, fixture.now);
  const phones = new PhoneAuthenticator(fixture.db, () => fixture.now, new NonceCache(serverLimits.assertionNoncesMax));
  const app = buildShopperApp({ settlement: fixture.context, operations: new ShopperOperations({ settlement: fixture.context }), phones, logger: silentLogger() });
  await app.ready();
  return {
    name: "shopper-api:inject",
    async run(prng) {
      const paymentId = fixture.paymentIds.length > 0 && prng.chance(0.8) ? prng.pick(fixture.paymentIds) : id(prng);
      const code = fixture.openCodes.length > 0 && prng.chance(0.8) ? prng.pick(fixture.openCodes) : String(prng.int(10_000_000));
      const url = prng.pick([
        "/api/v1/claims",
        `/api/v1/payments/${paymentId}/approve`,
        `/api/v1/payments/${paymentId}/decline`,
        `/api/v1/payments/${encodeURIComponent(JSON.stringify(mutateJson(prng, paymentId)))}/approve`,
        `/api/v1/${id(prng)}`,
      ]);
      const header = prng.chance(0.85)
        ? signPhoneAssertion({ carrier: DEFAULT_CARRIER_ID, phoneId: PHONE_ID, iat: fixture.now, nonce: newAssertionNonce() }, carrier.privateKey)
        : mutateBytes(prng, Buffer.from("eyJjYXJyaWVyIjoiZGVtbyJ9.c2ln")).toString("latin1").replace(/[^\x20-\x7e]/g, "");
      const body = jsonPayload(prng, [{ requestId: id(prng), code }, { requestId: id(prng) }]);
      const response = await app.inject({
        method: prng.chance(0.9) ? "POST" : prng.pick(["GET", "PUT", "DELETE"]),
        url,
        headers: { [PHONE_ASSERTION_HEADER]: header, "content-type": prng.chance(0.9) ? "application/json" : prng.pick(["text/plain", "application/x-www-form-urlencoded", ""]) },
        payload: body,
      });
      if (response.statusCode >= 500) throw new FuzzFailure(`shopper API ${url} answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
      if (response.statusCode >= 400) {
        let parsed: { error?: { code?: unknown; message?: unknown } };
        try {
          parsed = JSON.parse(response.body) as typeof parsed;
        } catch {
          throw new FuzzFailure(`shopper API ${url} answered ${response.statusCode} without a JSON body`);
        }
        checkClearError(`shopper API ${url} ${response.statusCode}`, parsed.error?.code, parsed.error?.message);
      }
    },
    close: () => app.close(),
  };
}

/** The agent's handling of `.../down` messages: parse as the link does, then the runtime, on a real journal. */
export async function agentMessageTarget(): Promise<FuzzTarget> {
  const journal = Journal.open(":memory:");
  let now = 1_700_000_000_000;
  const printer = { print: () => Promise.resolve(), kickDrawer: () => Promise.resolve() } as unknown as ReceiptPrinter;
  const runtime = new PaymentRuntime({
    journal,
    link: { isUp: true, requestTopic: `codepay/v1/${STORE_ID}/${REGISTER_ID}/up`, publish: () => Promise.resolve() },
    clock: { now: () => now },
    logger: createLogger("silent"),
    printer,
    storeName: "Fuzz Store",
    registerId: REGISTER_ID,
    onScreenChange: () => undefined,
  });
  const paymentIds: string[] = [];
  const requestIds: string[] = [];
  const prng = new Prng(11);
  async function newPayment(): Promise<void> {
    const paymentId = id(prng);
    const result = await runtime.createPayment({ paymentId, amount: { minor: 1200, currency: "JPY" }, lines: [], replace: true }); // one open payment per register: each fixture replaces the last
    if (!result.ok) throw new Error(`fixture payment refused: ${result.refusal.code}`);
    paymentIds.unshift(paymentId);
    requestIds.unshift(result.payment.createRequestId);
    paymentIds.length = Math.min(paymentIds.length, 20);
    requestIds.length = Math.min(requestIds.length, 20);
  }
  for (let i = 0; i < 5; i += 1) await newPayment();
  let inputs = 0;
  return {
    name: "agent:server-message",
    async run(prng) {
      inputs += 1;
      now += prng.int(1_000);
      if (inputs % 25 === 0) await newPayment();
      const samples = serverMessageSamples([prng.pick(paymentIds)], [prng.pick(requestIds)]);
      const parsed = parseMessage(ServerMessageSchema, jsonPayload(prng, samples));
      if (!parsed.ok) {
        checkClearError("agent link parse", parsed.code, parsed.message);
        return;
      }
      runtime.handleServerMessage(parsed.value);
    },
    close: () => journal.close(),
  };
}

const CONFIG_SAMPLE: Json = {
  server: { url: "mqtt://127.0.0.1:1883" },
  register: { storeId: "demo-store", registerId: "demo-reg-1", password: "secret-password" },
  currency: "JPY",
  language: "en",
  storeName: "Demo Store",
  journalPath: "./agent-journal.sqlite",
  cashierApi: { host: "127.0.0.1", port: 7070 },
  devices: {
    display: { path: "/dev/ttyUSB0", baudRate: 9600, model: "epson" },
    printer: { path: "tcp://192.0.2.10:9100", baudRate: 19200, model: "epson", drawer: true },
    cardReader: { path: "/dev/ttyUSB2", baudRate: 9600 },
  },
};

/** The agent's config: a bad file must stop the agent with AgentError naming the field, nothing else. */
export function configTarget(): FuzzTarget {
  const dir = mkdtempSync(join(tmpdir(), "codepay-fuzz-config-"));
  const file = join(dir, "agent.json");
  let inputs = 0;
  return {
    name: "agent:config",
    run(prng) {
      inputs += 1;
      const viaFile = inputs % 20 === 0;
      try {
        if (viaFile) {
          const text = prng.chance(0.7) ? JSON.stringify(mutateJson(prng, CONFIG_SAMPLE)) : mutateBytes(prng, Buffer.from(JSON.stringify(CONFIG_SAMPLE))).toString("utf8");
          writeFileSync(file, text);
          loadConfig(file);
        } else {
          parseConfig(prng.chance(0.9) ? mutateJson(prng, CONFIG_SAMPLE) : mutateJson(prng, mutateJson(prng, CONFIG_SAMPLE)));
        }
      } catch (error) {
        if (!(error instanceof AgentError)) throw error;
        if (error.message.length === 0) throw new FuzzFailure(`config refused with ${error.code} and no message`);
        if (error.message.includes("secret-password")) throw new FuzzFailure("a config error message repeats the register password");
      }
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
