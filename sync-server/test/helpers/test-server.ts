/** A seeded server on loopback port 0, real SQLite in a temp dir, a clock the test moves by hand. */
import { createStore, demoSeed, enrollRegister, enrollUser, silentLogger, startServer, topUp, type DemoSeedOutput, type RunningServer } from "../../src/index.js";
import { makeTempDir } from "./temp-dir.js";
import { RegisterClient } from "./register-client.js";
import { createPostgresDatabase, type TestDialect } from "./postgres.js";

export const START_TIME_MS = Date.UTC(2030, 0, 1, 9, 0, 0);

export const UNLIMITED_GUESSES = { freeFailures: 1e9, delayMsBase: 1, delayMsMax: 1, lockoutFailures: 1e9, lockoutMs: 1, windowMs: 1, rotateAfterStoreFailures: 1e9 } as const;

export interface TestServer {
  readonly server: RunningServer;
  readonly dataDir: string;
  readonly demo: DemoSeedOutput;
  /** Moves the server's clock. */
  advance(ms: number): void;
  now(): number;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  readonly codeTtlMs?: number;
  readonly sweepIntervalMs?: number;
  /** postgres: a fresh database on the file's throwaway cluster, selected through DATABASE_URL. */
  readonly dialect?: TestDialect;
  readonly extra?: Partial<Parameters<typeof startServer>[0]>;
}

/**
 * With dialect postgres, DATABASE_URL points at the new database until stop(), so the admin
 * functions the test calls reach the same database as the server (describe blocks run one by one).
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = makeTempDir();
  if (options.dialect === "postgres") process.env["DATABASE_URL"] = await createPostgresDatabase();
  else delete process.env["DATABASE_URL"];
  const demo = await demoSeed({ dataDir: dir.path });
  let now = START_TIME_MS;
  const server = await startServer({
    dataDir: dir.path,
    host: "127.0.0.1",
    ports: { mqtt: 0, shopperApi: 0, gateway: 0, operator: 0 },
    codeTtlMs: options.codeTtlMs ?? 60_000,
    clock: () => now,
    logger: silentLogger(),
    sweepIntervalMs: options.sweepIntervalMs ?? 50,
    // Guessing limits are tested on their own (guessing-pin-sandbox-carriers.test.ts); elsewhere a
    // suite's deliberate wrong codes would lock its one phone out of the tests that follow.
    guessPolicy: UNLIMITED_GUESSES,
    // Likewise the HTTP rate limits (http-security.test.ts): this clock only moves when a test moves it.
    httpRateLimits: "off",
    // And the MQTT login throttle (login-throttle.test.ts): suites refuse logins on purpose.
    mqttLoginThrottle: "off",
    ...options.extra,
  });
  return {
    server,
    dataDir: dir.path,
    demo,
    advance: (ms) => {
      now += ms;
    },
    now: () => now,
    stop: async () => {
      await server.stop();
      dir.remove();
      delete process.env["DATABASE_URL"];
    },
  };
}

/** A second store and register, for cross-register tests. */
export async function enrollSecondRegister(dataDir: string): Promise<{ storeId: string; registerId: string; password: string }> {
  await createStore({ dataDir, id: "other-store", name: "Other Store", currency: "JPY" });
  const enrolled = await enrollRegister({ dataDir, storeId: "other-store", registerId: "other-reg", name: "Other Register" });
  return { storeId: enrolled.storeId, registerId: enrolled.registerId, password: enrolled.password };
}

/** Another register of the demo store, connected: a register holds one open payment, so a test that needs several open in one store uses several registers. */
export async function connectDemoStoreRegister(t: TestServer, registerId: string): Promise<RegisterClient> {
  const enrolled = await enrollRegister({ dataDir: t.dataDir, storeId: t.demo.storeId, registerId, name: registerId });
  return RegisterClient.connect(t.server.mqttUrl, enrolled.storeId, enrolled.registerId, enrolled.password);
}

/** A user with little money. */
export async function enrollPoorUser(dataDir: string, balanceMinor: number): Promise<{ credential: string; userId: string }> {
  const user = await enrollUser({ dataDir, userId: "poor-user", name: "Poor User", phoneId: "+810000000002" });
  await topUp({ dataDir, userId: "poor-user", amountMinor: balanceMinor, currency: "JPY", requestId: "poor-topup" });
  return { credential: user.subscriberCredential, userId: user.userId };
}
