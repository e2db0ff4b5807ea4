/**
 * The guessing rate, measured: authenticated phones (real carrier gateway, real signed assertions,
 * real SQLite) guess codes at the highest rate the server allows over a simulated hour, retrying the
 * instant each Retry-After ends. The server runs the default guess policy.
 *
 * 1. One phone, 6-digit codes: every guess the server evaluated is timed and compared with the
 *    pure policy model (payments/guess-bound.ts): the server lets through exactly what the policy
 *    says, and at most `lockoutFailures` in any lockout window.
 * 2. Many phones (15) against one store, 3-digit codes (a space of 1,000, so that hits are frequent
 *    enough to count): the measured hit rate per guess agrees with the analytic one.
 * 3. From the measured guesses per window and the analytic hit probability, the success rate per
 *    phone per lockout window for real deployments at DEFAULT settings, printed and held to 1 in
 *    10,000 (SECURITY.md): the server sizes its code length to its registers, and a real server
 *    seeded with each deployment's registers issues codes of that length.
 * 4. The length follows the deployment while the server runs: a register enrolled by `admin` (not
 *    through the server) connects, the next code is longer, the older shorter code can still be
 *    claimed, and a typo at either length is CODE_CHECK_DIGIT, not a counted guess.
 *
 * Parts 1 and 2 pin the code length (`codeDigitsFixed`): they measure the guess policy itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { pino } from "pino";
import { demoSeed, enrollRegister, enrollUser, scrapeMetricsText, startServer } from "../../src/index.js";
import { makeTempDir } from "../helpers/temp-dir.js";
import { DEFAULT_GUESS_POLICY } from "../../src/payments/guess-policy.js";
import { blindSuccessProbability, chooseCodeDigits, codeSpace, fastestGuessTimesMs, guessesInBusiestInterval, openCodesMax } from "../../src/payments/guess-bound.js";
import { CODE_RANDOM_DIGITS_DEFAULT, CODE_RANDOM_DIGITS_MAX, withCheckDigit } from "@codepay/contract";
import { openDatabase } from "../../src/db/database.js";
import { issuePayment } from "../helpers/pay.js";
import { errorCodeOf, PhoneClient } from "../helpers/phone-client.js";
import { RegisterClient } from "../helpers/register-client.js";
import { connectDemoStoreRegister, startTestServer, type TestServer } from "../helpers/test-server.js";

const HOUR_MS = 3_600_000;
const TARGET = 1 / 10_000;
const POLICY = DEFAULT_GUESS_POLICY;

// At most one open code per register (a register shows one payment at a time), and codes are
// unique server-wide, so a deployment's open codes are at most its registers (the server sizes for
// the larger of its enabled registers and its open codes).
const DEPLOYMENTS = [
  { name: "one busy store: 20 lanes", registers: 20 },
  { name: "a chain: 50 stores x 10 lanes", registers: 500 },
];

/** What a server at default settings chooses for `registers`: the shortest length from 6 that holds. */
function defaultDigitsFor(registers: number): number {
  return chooseCodeDigits(POLICY, registers, CODE_RANDOM_DIGITS_DEFAULT, CODE_RANDOM_DIGITS_MAX, TARGET).randomDigits;
}

/** `count` enabled registers in the demo store besides demo-reg-1, written straight to SQLite (no password hashing: they never log in). */
async function addRegisters(dataDir: string, count: number): Promise<void> {
  const db = await openDatabase(dataDir);
  try {
    const rows = Array.from({ length: count }, (_, i) => ({ id: `lane-${i + 2}`, store_id: "demo-store", name: `Lane ${i + 2}`, password_hash: "unused", broker_password_hash: null, created_at: 0 }));
    for (let i = 0; i < rows.length; i += 100) await db.insertInto("registers").values(rows.slice(i, i + 100)).execute();
  } finally {
    await db.destroy();
  }
}

/** The length the shopper page is told a code issued now has (the sizer's current choice, read in memory). */
async function pageCodeLength(shopperApiUrl: string): Promise<number> {
  const html = await (await fetch(new URL("/pay", shopperApiUrl))).text();
  return Number(/data-code-length="(\d+)"/.exec(html)?.[1]);
}

/** mulberry32: a seeded source, so the server's codes and the guesses are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A blind guesser: random codes with a valid check digit (typos buy nothing), never the same twice. */
class Guesser {
  readonly tried = new Set<string>();
  readonly guessTimesMs: number[] = [];
  hits = 0;
  nextAtMs = 0;
  private pending: string | undefined;
  constructor(
    readonly phone: PhoneClient,
    private readonly randomDigits: number,
    private readonly random: () => number,
  ) {}

  code(): string {
    while (this.pending === undefined || this.tried.has(this.pending)) {
      let digits = "";
      for (let i = 0; i < this.randomDigits; i += 1) digits += String(Math.floor(this.random() * 10));
      this.pending = withCheckDigit(digits);
    }
    return this.pending;
  }

  evaluated(atMs: number): void {
    this.tried.add(this.code());
    this.guessTimesMs.push(atMs);
  }
}

async function enrollGuessers(t: TestServer, count: number, randomDigits: number, random: () => number): Promise<Guesser[]> {
  const guessers: Guesser[] = [];
  for (let i = 0; i < count; i += 1) {
    const user = await enrollUser({ dataDir: t.dataDir, userId: `attacker-${i}`, name: "Attacker", phoneId: `+8199${String(i).padStart(8, "0")}` });
    guessers.push(new Guesser(new PhoneClient(t.server.gatewayUrl, user.subscriberCredential), randomDigits, random));
  }
  return guessers;
}

interface Attack {
  guesses: number;
  hits: number;
  /** Sum over evaluated guesses of open / (space - codes this phone already tried): the expected hits. */
  expectedHits: number;
  refusals: number;
  /** Misses that named the store (a code of a payment closed in the last 15 minutes). */
  namedStore: number;
  /** Hits answered STORE_LOCKED instead of a claim. */
  storeLockedHits: number;
}

/** `count` registers of the demo store, each holding one open payment (a register holds one at a time). */
class Lanes {
  readonly #holder = new Map<string, RegisterClient>();
  private constructor(readonly registers: RegisterClient[]) {}

  static async open(t: TestServer, count: number): Promise<Lanes> {
    const registers: RegisterClient[] = [];
    for (let i = 0; i < count; i += 1) registers.push(await connectDemoStoreRegister(t, `guess-lane-${i}`));
    const lanes = new Lanes(registers);
    for (const register of registers) lanes.#holder.set((await issuePayment(register, 1_000)).paymentId, register);
    return lanes;
  }

  /** A hit: its register cancels it and issues a fresh payment, so as many codes stay open. */
  async replace(paymentId: string): Promise<void> {
    const register = this.#holder.get(paymentId);
    if (register === undefined) throw new Error(`no lane holds ${paymentId}`);
    this.#holder.delete(paymentId);
    await register.request({ type: "payment.cancel", paymentId });
    this.#holder.set((await issuePayment(register, 1_000)).paymentId, register);
  }

  async close(): Promise<void> {
    for (const register of this.registers) await register.close();
  }
}

/**
 * Every guesser guesses whenever the server lets it, in simulated time, for one hour; a hit is
 * cancelled at once and the register issues a fresh payment, so `openCodes` stay open throughout.
 */
async function attackForAnHour(t: TestServer, lanes: Lanes, guessers: Guesser[], openCodes: number, space: number): Promise<Attack> {
  const startMs = t.now();
  const attack: Attack = { guesses: 0, hits: 0, expectedHits: 0, refusals: 0, namedStore: 0, storeLockedHits: 0 };
  for (;;) {
    const nowMs = Math.min(...guessers.map((g) => g.nextAtMs));
    if (nowMs >= HOUR_MS) return attack;
    if (nowMs > t.now() - startMs) t.advance(nowMs - (t.now() - startMs));
    for (const guesser of guessers.filter((g) => g.nextAtMs <= nowMs)) {
      const reply = await guesser.phone.claim(guesser.code());
      if (reply.status === 429 && errorCodeOf(reply) === "PHONE_LOCKED") {
        attack.refusals += 1;
        guesser.nextAtMs = nowMs + Number(reply.retryAfter) * 1_000;
        continue;
      }
      attack.expectedHits += openCodes / (space - guesser.tried.size);
      guesser.evaluated(nowMs);
      attack.guesses += 1;
      if (reply.status === 200) {
        guesser.hits += 1;
        attack.hits += 1;
        await lanes.replace(String(reply.body["paymentId"]));
      } else if (errorCodeOf(reply) === "STORE_LOCKED") {
        // The store is locked after wrong guesses that named it, but the answer told the attacker
        // that this code is open: counted as a hit.
        guesser.hits += 1;
        attack.hits += 1;
        attack.storeLockedHits += 1;
      } else {
        // A miss: no open payment has the code, or it names a payment closed in the last 15 minutes
        // (this attack's own cancelled hits), which counts against the store too.
        expect(["CODE_NOT_FOUND", "PAYMENT_CANCELLED", "PAYMENT_CLAIMED", "CODE_EXPIRED"]).toContain(errorCodeOf(reply));
        if (errorCodeOf(reply) !== "CODE_NOT_FOUND") attack.namedStore += 1;
      }
    }
  }
}

describe("guessing rate over a simulated hour (default guess policy)", () => {
  let guessesPerWindow = 0;

  describe("one phone, 6-digit codes, 20 open payments", () => {
    let t: TestServer;
    let lanes: Lanes;
    const random = seeded(6);
    beforeAll(async () => {
      t = await startTestServer({ codeTtlMs: 3 * HOUR_MS, sweepIntervalMs: HOUR_MS, extra: { guessPolicy: POLICY, codeRandomDigits: 6, codeDigitsFixed: true, randomDigit: () => Math.floor(random() * 10) } });
      lanes = await Lanes.open(t, 20);
    });
    afterAll(async () => {
      await lanes.close();
      await t.stop();
    });

    it("the server evaluates exactly the guesses the policy allows: 10 per lockout window", async () => {
      const [guesser] = await enrollGuessers(t, 1, 6, seeded(61));
      const attack = await attackForAnHour(t, lanes, [guesser!], 20, codeSpace(6));
      const modelTimesMs = fastestGuessTimesMs(POLICY, HOUR_MS);
      expect(guesser!.guessTimesMs).toEqual(modelTimesMs);
      guessesPerWindow = guessesInBusiestInterval(guesser!.guessTimesMs, POLICY.lockoutMs);
      expect(guessesPerWindow).toBe(POLICY.lockoutFailures);
      expect(attack.refusals).toBeGreaterThan(0);
      console.log(
        `[guessing] one phone, simulated hour: ${attack.guesses} guesses evaluated, ${attack.refusals} refused with 429 PHONE_LOCKED; ` +
          `at most ${guessesPerWindow} in any ${POLICY.lockoutMs / 60_000}-minute lockout window; hits ${attack.hits} (expected ${attack.expectedHits.toExponential(2)})`,
      );
    });

    it("from the measured guesses per window, at default settings: the server's chosen code length keeps every deployment at or below 1 in 10,000 per phone", () => {
      expect(guessesPerWindow).toBe(POLICY.lockoutFailures); // measured by the test above (same describe, run in order)
      for (const deployment of DEPLOYMENTS) {
        const digits = defaultDigitsFor(deployment.registers);
        const rate = blindSuccessProbability(guessesPerWindow, deployment.registers, codeSpace(digits));
        const atSixDigits = blindSuccessProbability(guessesPerWindow, deployment.registers, codeSpace(6));
        console.log(
          `[guessing] ${deployment.name} (${deployment.registers} open codes), default settings: the server issues ${digits} random digits + check digit -> ` +
            `${rate.toExponential(3)} per phone per lockout window (1 in ${Math.round(1 / rate).toLocaleString("en")}); ` +
            `fixed at 6 digits it would be ${atSixDigits.toExponential(3)}`,
        );
        expect(rate).toBeLessThanOrEqual(TARGET);
        expect(atSixDigits).toBeGreaterThan(TARGET); // so the lengthening is what keeps the target
      }
      const ceilings = [6, 7, 8, 9].map((digits) => `${digits} digits: ${openCodesMax(guessesPerWindow, codeSpace(digits), TARGET).toLocaleString("en")}`);
      console.log(`[guessing] most open codes (registers) for 1 in 10,000 per phone per window: ${ceilings.join(", ")}`);
      // Many phones: the store's defences do not see blind misses, so K phones have about K times one phone's chance.
      const store = DEPLOYMENTS[0]!;
      const onePhone = blindSuccessProbability(guessesPerWindow, store.registers, codeSpace(defaultDigitsFor(store.registers)));
      const fifteenPhones = 1 - (1 - onePhone) ** 15;
      console.log(`[guessing] 15 phones together against ${store.name} at ${defaultDigitsFor(store.registers)} digits: ${fifteenPhones.toExponential(3)} per lockout window`);
      expect(openCodesMax(guessesPerWindow, codeSpace(6), TARGET)).toBe(10);
      expect(defaultDigitsFor(10)).toBe(6); // a single store with up to 10 registers keeps 6 digits
    });
  });

  describe("15 phones against one store, 3-digit codes (space 1,000), 50 open payments", () => {
    let t: TestServer;
    let lanes: Lanes;
    const random = seeded(3);
    beforeAll(async () => {
      t = await startTestServer({ codeTtlMs: 3 * HOUR_MS, sweepIntervalMs: HOUR_MS, extra: { guessPolicy: POLICY, codeRandomDigits: 3, codeDigitsFixed: true, randomDigit: () => Math.floor(random() * 10) } });
      lanes = await Lanes.open(t, 50);
    });
    afterAll(async () => {
      await lanes.close();
      await t.stop();
    });

    it("the measured hit rate per guess agrees with the analytic one (open / space)", async () => {
      const guessers = await enrollGuessers(t, 15, 3, seeded(31));
      const attack = await attackForAnHour(t, lanes, guessers, 50, codeSpace(3));
      const measured = attack.hits / attack.guesses;
      const analytic = attack.expectedHits / attack.guesses;
      // Binomial: the hits are a sum of independent trials; 4 standard deviations (the run is seeded).
      const sigma = Math.sqrt(attack.expectedHits);
      console.log(
        `[guessing] 15 phones x 1 simulated hour, space 1,000, 50 open: ${attack.guesses} guesses, ${attack.hits} hits; ` +
          `measured ${measured.toFixed(4)} per guess, analytic ${analytic.toFixed(4)} (expected hits ${attack.expectedHits.toFixed(1)} +- ${sigma.toFixed(1)}); ` +
          `${attack.namedStore} misses named the store (rotations), ${attack.storeLockedHits} hits were answered STORE_LOCKED`,
      );
      expect(attack.hits).toBeGreaterThan(0);
      expect(Math.abs(attack.hits - attack.expectedHits)).toBeLessThanOrEqual(4 * sigma);
      // Each phone still got its 10 guesses per lockout window, more only after a hit (a success clears its counter).
      for (const guesser of guessers) expect(guessesInBusiestInterval(guesser.guessTimesMs, POLICY.lockoutMs)).toBeLessThanOrEqual(POLICY.lockoutFailures * (1 + guesser.hits));
    }, 120_000); // about 700 guesses, each a committed (synchronous=FULL) transaction
  });

});

describe("a server at default settings sizes its codes to its registers", () => {
  for (const deployment of DEPLOYMENTS) {
    it(`${deployment.name}: the codes it issues have the length the bound asks for, and it logs the choice`, async () => {
      const dir = makeTempDir();
      try {
        const demo = await demoSeed({ dataDir: dir.path });
        await addRegisters(dir.path, deployment.registers - 1);
        const lines: string[] = [];
        const logger = pino({ level: "info" }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
        // No codeRandomDigits, no guessPolicy: the defaults of `codepay-server serve`.
        const server = await startServer({ dataDir: dir.path, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger, httpRateLimits: "off" });
        try {
          const register = await RegisterClient.connect(server.mqttUrl, demo.storeId, demo.registerId, demo.password);
          const issued = await issuePayment(register, 1_000);
          await register.close();
          const digits = defaultDigitsFor(deployment.registers);
          expect(issued.code).toHaveLength(digits + 1);
          expect(await pageCodeLength(server.shopperApiUrl)).toBe(digits + 1);
          const chosen = lines.map((line) => JSON.parse(line) as { msg: string; level: number; codeDigits?: number }).filter((line) => line.msg.startsWith("payment codes:"));
          expect(chosen[0]).toMatchObject({ level: 30, codeDigits: digits }); // info, not a warning
          console.log(`[guessing] serve with ${deployment.registers} enabled registers (default settings) issued ${issued.code.length}-digit codes; logged: ${chosen[0]!.msg}`);
        } finally {
          await server.stop();
        }
      } finally {
        dir.remove();
      }
    });
  }

  it("follows the registers while it runs: an 11th register connects, new codes get 8 digits, the open 7-digit code still pays, typos are not guesses", async () => {
    const t = await startTestServer({ extra: { guessPolicy: POLICY, httpRateLimits: "off" } });
    const registers: RegisterClient[] = [];
    try {
      await addRegisters(t.dataDir, 9); // 10 registers: 6 random digits
      const first = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      registers.push(first);
      const older = await issuePayment(first, 1_000);
      expect(older.code).toHaveLength(7);
      // `codepay-server admin register enroll` in another process: the running server is not told.
      const lane = await enrollRegister({ dataDir: t.dataDir, storeId: "demo-store", registerId: "lane-11", name: "Lane 11" });
      const eleventh = await RegisterClient.connect(t.server.mqttUrl, lane.storeId, lane.registerId, lane.password);
      registers.push(eleventh);
      // Its connect triggers a recount (off the request path); the page shows the choice without side effects.
      for (let polls = 0; (await pageCodeLength(t.server.shopperApiUrl)) !== 8; polls += 1) {
        expect(polls).toBeLessThan(200);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const newer = await issuePayment(eleventh, 2_000);
      expect(newer.code).toHaveLength(8);
      // Operators see the length on /metrics.
      expect(await scrapeMetricsText(t.server.operatorUrl)).toMatch(/^codepay_code_random_digits 7$/m);
      const phone = new PhoneClient(t.server.gatewayUrl, (await enrollUser({ dataDir: t.dataDir, userId: "shopper-11", name: "Shopper", phoneId: "+819900000011" })).subscriberCredential);
      // A typo at either length, and a valid check digit at a length the server never issues: CODE_CHECK_DIGIT, and the phone is not held back.
      const typo = (code: string) => code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10);
      for (const wrong of [typo(older.code), typo(newer.code), withCheckDigit("48291"), withCheckDigit("4".repeat(CODE_RANDOM_DIGITS_MAX + 1))]) {
        const reply = await phone.claim(wrong);
        expect(errorCodeOf(reply)).toBe("CODE_CHECK_DIGIT");
      }
      // Both lengths are open at once and both claim. Had the four refusals counted as guesses, the
      // default policy (3 free failures, then a block) would now refuse this phone with PHONE_LOCKED.
      const claimOld = await phone.claim(older.code);
      expect(claimOld.status).toBe(200);
      expect(claimOld.body["paymentId"]).toBe(older.paymentId);
      const otherPhone = new PhoneClient(t.server.gatewayUrl, (await enrollUser({ dataDir: t.dataDir, userId: "shopper-12", name: "Shopper", phoneId: "+819900000012" })).subscriberCredential);
      const claimNew = await otherPhone.claim(newer.code);
      expect(claimNew.status).toBe(200);
      expect(claimNew.body["paymentId"]).toBe(newer.paymentId);
    } finally {
      for (const register of registers) await register.close();
      await t.stop();
    }
  });
});
