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
 *    phone per lockout window for real deployments, printed and held to 1 in 10,000 (SECURITY.md);
 *    and `serve` warns at start when it has more registers than its code length serves.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { pino } from "pino";
import { demoSeed, enrollRegister, enrollUser, startServer } from "../../src/index.js";
import { makeTempDir } from "../helpers/temp-dir.js";
import { DEFAULT_GUESS_POLICY } from "../../src/payments/guess-policy.js";
import { blindSuccessProbability, codeSpace, fastestGuessTimesMs, guessesInBusiestInterval, openCodesMax } from "../../src/payments/guess-bound.js";
import { withCheckDigit } from "../../src/protocol/index.js";
import { issuePayment } from "../helpers/pay.js";
import { errorCodeOf, PhoneClient } from "../helpers/phone-client.js";
import { RegisterClient } from "../helpers/register-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const HOUR_MS = 3_600_000;
const TARGET = 1 / 10_000;
const POLICY = DEFAULT_GUESS_POLICY;

// At most one open code per register (a register shows one payment at a time), and codes are
// unique server-wide, so a deployment's open codes are at most its registers.
const DEPLOYMENTS = [
  { name: "one busy store: 20 lanes", openCodes: 20, randomDigits: 7 },
  { name: "a chain: 50 stores x 10 lanes", openCodes: 500, randomDigits: 8 },
];

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

/**
 * Every guesser guesses whenever the server lets it, in simulated time, for one hour; a hit is
 * cancelled at once and the register issues a fresh payment, so `openCodes` stay open throughout.
 */
async function attackForAnHour(t: TestServer, register: RegisterClient, guessers: Guesser[], openCodes: number, space: number): Promise<Attack> {
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
        await register.request({ type: "payment.cancel", paymentId: String(reply.body["paymentId"]) });
        await issuePayment(register, 1_000);
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
    let register: RegisterClient;
    const random = seeded(6);
    beforeAll(async () => {
      t = await startTestServer({ codeTtlMs: 3 * HOUR_MS, sweepIntervalMs: HOUR_MS, extra: { guessPolicy: POLICY, codeRandomDigits: 6, randomDigit: () => Math.floor(random() * 10) } });
      register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      for (let i = 0; i < 20; i += 1) await issuePayment(register, 1_000);
    });
    afterAll(async () => {
      await register.close();
      await t.stop();
    });

    it("the server evaluates exactly the guesses the policy allows: 10 per lockout window", async () => {
      const [guesser] = await enrollGuessers(t, 1, 6, seeded(61));
      const attack = await attackForAnHour(t, register, [guesser!], 20, codeSpace(6));
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

    it("from the measured guesses per window: at or below 1 in 10,000 per phone with the code length sized for the deployment; 6 digits serve at most 10 registers", () => {
      expect(guessesPerWindow).toBe(POLICY.lockoutFailures); // measured by the test above (same describe, run in order)
      for (const deployment of DEPLOYMENTS) {
        const rate = blindSuccessProbability(guessesPerWindow, deployment.openCodes, codeSpace(deployment.randomDigits));
        const atSixDigits = blindSuccessProbability(guessesPerWindow, deployment.openCodes, codeSpace(6));
        console.log(
          `[guessing] ${deployment.name} (${deployment.openCodes} open codes): ${deployment.randomDigits} random digits + check digit -> ` +
            `${rate.toExponential(3)} per phone per lockout window (1 in ${Math.round(1 / rate).toLocaleString("en")}); ` +
            `with the default 6 digits ${atSixDigits.toExponential(3)}`,
        );
        expect(rate).toBeLessThanOrEqual(TARGET);
      }
      const ceilings = [6, 7, 8, 9].map((digits) => `${digits} digits: ${openCodesMax(guessesPerWindow, codeSpace(digits), TARGET).toLocaleString("en")}`);
      console.log(`[guessing] most open codes (registers) for 1 in 10,000 per phone per window: ${ceilings.join(", ")}`);
      // Many phones: the store's defences do not see blind misses, so K phones have about K times one phone's chance.
      const store = DEPLOYMENTS[0]!;
      const onePhone = blindSuccessProbability(guessesPerWindow, store.openCodes, codeSpace(store.randomDigits));
      const fifteenPhones = 1 - (1 - onePhone) ** 15;
      console.log(`[guessing] 15 phones together against ${store.name} at ${store.randomDigits} digits: ${fifteenPhones.toExponential(3)} per lockout window`);
      expect(openCodesMax(guessesPerWindow, codeSpace(6), TARGET)).toBe(10);
    });
  });

  describe("15 phones against one store, 3-digit codes (space 1,000), 50 open payments", () => {
    let t: TestServer;
    let register: RegisterClient;
    const random = seeded(3);
    beforeAll(async () => {
      t = await startTestServer({ codeTtlMs: 3 * HOUR_MS, sweepIntervalMs: HOUR_MS, extra: { guessPolicy: POLICY, codeRandomDigits: 3, randomDigit: () => Math.floor(random() * 10) } });
      register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      for (let i = 0; i < 50; i += 1) await issuePayment(register, 1_000);
    });
    afterAll(async () => {
      await register.close();
      await t.stop();
    });

    it("the measured hit rate per guess agrees with the analytic one (open / space)", async () => {
      const guessers = await enrollGuessers(t, 15, 3, seeded(31));
      const attack = await attackForAnHour(t, register, guessers, 50, codeSpace(3));
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

describe("serve warns when its code length serves fewer registers than it has", () => {
  it("11 registers with 6 digits: a warning naming the limit; with 7 digits: none", async () => {
    const dir = makeTempDir();
    try {
      await demoSeed({ dataDir: dir.path });
      for (let i = 2; i <= 11; i += 1) await enrollRegister({ dataDir: dir.path, storeId: "demo-store", registerId: `lane-${i}`, name: `Lane ${i}` });
      for (const digits of [6, 7]) {
        const lines: string[] = [];
        const logger = pino({ level: "warn" }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
        const server = await startServer({ dataDir: dir.path, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger, codeRandomDigits: digits });
        await server.stop();
        const warnings = lines.filter((line) => line.includes("raise --code-digits"));
        if (digits === 6) expect(warnings.join("")).toMatch(/11 registers but 6 code digits serve at most 10/);
        else expect(warnings).toEqual([]);
      }
    } finally {
      dir.remove();
    }
  });
});

