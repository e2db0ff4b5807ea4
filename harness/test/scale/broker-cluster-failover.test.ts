/**
 * The registers' line on a nats-server cluster (issue 22, docs/deploy/broker-cluster.md): three nodes
 * on loopback, two `codepay-server serve` instances on one PostgreSQL sharing the requests through a
 * NATS queue group, and three real agents (no devices) each started on a different node with the
 * other two as failover addresses, the registers split over two register accounts. Payments run on every register; in the middle of one payment the
 * node its register is connected to is SIGKILLed. The register must come back through another node
 * with its session (the result published while it was away reaches it), every payment must end
 * approved exactly once, and `admin verify` must pass.
 *
 * Needs Debian's nats-server, postgresql and openssl: a loud skip without them, a failure in CI.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { balances, createStore, enrollRegister, enrollUser, listPayments, silentLogger, topUp, verify } from "@codepay/sync-server";
import { parseConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { SimPhone, requireToolOrSkip } from "@codepay/hardware-sim";
import { serverBin, startClusterDeployment, startServerInstance, startThrowawayPostgres, type ClusterDeployment, type ServerInstance, type ThrowawayPostgres } from "../../src/cluster/index.js";
import { registerAccountIndex } from "@codepay/sync-server/parts";
import { postgresOrSkip } from "../helpers/postgres-or-skip.js";
import { pollUntil } from "../helpers/poll-until.js";

const hasTools = requireToolOrSkip("nats-server", "broker cluster tests") && requireToolOrSkip("openssl", "broker cluster tests (certificates)") && postgresOrSkip("the broker cluster tests");

const STORE = "cluster-store";
const CURRENCY = "JPY";
const NODES = 3;
const INSTANCES = 2;
const REGISTERS = 3;
/** Registers split over two register accounts (cluster-reg-1 in one, cluster-reg-0 and -2 in the other): results cross from the instances' account into both. */
const ACCOUNTS = 2;
const PAYMENTS_PER_REGISTER = 4;
const AMOUNT_MINOR = 300;
const TOPUP_MINOR = 100_000;
/** Waits that include a failover: a node's loss, the leader elections, the agent's backoff and the broker's ack_wait. */
const FAILOVER_WAIT_MS = 60_000;

interface Cashier {
  (path: string, body?: unknown): Promise<{ status: number; body: { payment?: { paymentId: string; state: string; code?: string }; mqtt?: string } }>;
}

function cashierOf(agent: RunningAgent): Cashier {
  return async (path, body) => {
    const response = await fetch(`${agent.cashierApiUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as never };
  };
}

describe.skipIf(!hasTools)("the registers' line on a 3-node nats-server cluster, 2 server instances", () => {
  let pg: ThrowawayPostgres;
  let dataDir: string;
  let deployment: ClusterDeployment;
  let instances: ServerInstance[] = [];
  const agents: RunningAgent[] = [];
  const credentials: string[] = [];
  let refusedWhileLineDown = 0;

  beforeAll(async () => {
    pg = await startThrowawayPostgres({ fsync: false });
    process.env["DATABASE_URL"] = pg.url;
    dataDir = await mkdtemp(join(tmpdir(), "codepay-cluster-"));
    await createStore({ dataDir, id: STORE, name: "Cluster Store", currency: CURRENCY });
    const passwords: string[] = [];
    for (let index = 0; index < REGISTERS; index += 1) {
      passwords.push((await enrollRegister({ dataDir, storeId: STORE, registerId: `cluster-reg-${index}`, name: `Register ${index}` })).password);
      const user = await enrollUser({ dataDir, userId: `cluster-user-${index}`, name: `Shopper ${index}`, phoneId: `+8170900000${index}` });
      await topUp({ dataDir, userId: `cluster-user-${index}`, amountMinor: TOPUP_MINOR, currency: CURRENCY, requestId: `cluster-topup-${index}` });
      credentials.push(user.subscriberCredential);
    }
    deployment = await startClusterDeployment({ dataDir, dir: dataDir, nodes: NODES, instances: INSTANCES, accounts: ACCOUNTS });
    expect(new Set(Array.from({ length: REGISTERS }, (_, index) => registerAccountIndex(`cluster-reg-${index}`, ACCOUNTS))).size).toBe(ACCOUNTS);
    const { cluster } = deployment;
    instances = await Promise.all(
      deployment.services.map((service) =>
        startServerInstance({
          dataDir,
          databaseUrl: pg.url,
          brokerUsername: service.name,
          cluster: { natsUrls: cluster.natsUrls, mqttUrls: cluster.mqttUrls, accounts: deployment.accounts, ...service.certificate },
          httpRateLimits: false,
        }),
      ),
    );
    for (let index = 0; index < REGISTERS; index += 1) {
      const registerId = `cluster-reg-${index}`;
      const certificate = deployment.registerCertificate(registerId);
      // Register i starts on node i; the other nodes follow in order.
      const urls = cluster.mqttUrls.map((_, offset) => cluster.mqttUrls[(index + offset) % NODES]!);
      agents.push(
        await startAgent(
          parseConfig({
            server: { url: urls[0]!, failoverUrls: urls.slice(1), tls: { ca: certificate.caFile, cert: certificate.certFile, key: certificate.keyFile }, authentication: "certificate" },
            register: { storeId: STORE, registerId, password: passwords[index]! },
            currency: CURRENCY,
            language: "en",
            storeName: "Cluster Store",
            journalPath: join(dataDir, `agent-${index}.sqlite`),
            cashierApi: { host: "127.0.0.1", port: 0 },
            devices: {},
          }),
          { logger: silentLogger() },
        ),
      );
    }
    await Promise.all(agents.map((agent) => pollUntil("every agent's line up through its node", async () => ((await cashierOf(agent)("/v1/health")).body.mqtt === "up" ? true : undefined), FAILOVER_WAIT_MS)));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.stop()));
    await Promise.all(instances.map((instance) => instance.kill("SIGTERM")));
    await deployment?.stop();
    await pg?.stop();
    delete process.env["DATABASE_URL"];
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  /** One payment from the cashier's POST to the approved result at the register; `beforeApproval` runs after the claim. */
  async function pay(index: number, amountMinor: number, beforeApproval?: () => Promise<void>): Promise<string> {
    const cashier = cashierOf(agents[index]!);
    // A register whose line is down refuses a new payment (503 SERVER_UNAVAILABLE, nothing stored):
    // the cashier waits for the line and tries again. Counted, so the test says how often it happened.
    const created = await pollUntil(`register ${index} takes a payment`, async () => {
      const answer = await cashier("/v1/payments", { amountMinor });
      if (answer.status === 503) refusedWhileLineDown += 1;
      return answer.status === 503 ? undefined : answer;
    }, FAILOVER_WAIT_MS);
    expect(created.status).toBe(201);
    const paymentId = created.body.payment!.paymentId;
    const code = await pollUntil(`payment ${paymentId}'s code`, async () => (await cashier(`/v1/payments/${paymentId}`)).body.payment?.code, FAILOVER_WAIT_MS);
    const phone = new SimPhone({ gatewayUrl: instances[index % INSTANCES]!.gateway, subscriberCredential: credentials[index]! });
    const claim = await phone.claim(code);
    expect(claim.ok).toBe(true);
    await beforeApproval?.();
    const approval = await phone.approve(paymentId);
    expect(approval.ok || (!approval.ok && approval.code === "PAYMENT_SETTLED")).toBe(true);
    const state = await pollUntil(`payment ${paymentId} approved at its register`, async () => {
      const seen = (await cashier(`/v1/payments/${paymentId}`)).body.payment?.state;
      return seen === "approved" || seen === "declined" || seen === "expired" || seen === "cancelled" ? seen : undefined;
    }, FAILOVER_WAIT_MS);
    expect(state).toBe("approved");
    return paymentId;
  }

  test("kill -9 of the node a register is on, mid-payment: the register resumes on another node, nothing lost or doubled, admin verify passes", async () => {
    const { cluster } = deployment;
    const victim = cluster.nodes[0]!; // register 0 started on node 0
    const paid: string[] = [];
    // Warm up: every register pays once through its own node.
    for (let index = 0; index < REGISTERS; index += 1) paid.push(await pay(index, AMOUNT_MINOR));

    let killed = false;
    const others = async (index: number): Promise<void> => {
      for (let n = 1; n < PAYMENTS_PER_REGISTER; n += 1) paid.push(await pay(index, AMOUNT_MINOR));
    };
    const onVictimNode = async (): Promise<void> => {
      // Claimed, not yet approved: the node dies, then the shopper approves; the result is published while the register is away.
      paid.push(
        await pay(0, AMOUNT_MINOR, async () => {
          await victim.kill("SIGKILL");
          killed = true;
        }),
      );
      for (let n = 2; n < PAYMENTS_PER_REGISTER; n += 1) paid.push(await pay(0, AMOUNT_MINOR));
    };
    await Promise.all([onVictimNode(), others(1), others(2)]);
    expect(killed).toBe(true);
    process.stderr.write(`cluster failover: ${refusedWhileLineDown} new-payment attempts refused while a register's line was down\n`);
    expect(victim.running()).toBe(false);
    expect(victim.child.signalCode).toBe("SIGKILL");
    // Register 0 is up again, and the only nodes left are the others: it moved.
    expect((await cashierOf(agents[0]!)("/v1/health")).body.mqtt).toBe("up");
    expect(cluster.nodes.slice(1).every((node) => node.running())).toBe(true);
    // Both server instances lived through it.
    expect(instances.every((instance) => instance.child.exitCode === null && instance.child.signalCode === null)).toBe(true);

    const total = REGISTERS * PAYMENTS_PER_REGISTER;
    expect(new Set(paid).size).toBe(total);
    const listed = (await listPayments({ dataDir, limit: 1_000 })).payments;
    expect(listed).toHaveLength(total);
    expect(listed.every((payment) => payment.state === "approved")).toBe(true);
    const ledger = await balances({ dataDir });
    expect(ledger.accounts.find((account) => account.kind === "store" && account.ownerId === STORE)?.balanceMinor).toBe(total * AMOUNT_MINOR);
    expect(ledger.totals[CURRENCY]).toBe(0);
    expect((await verify({ dataDir })).violations).toEqual([]);
    const cli = spawnSync(process.execPath, [serverBin, "admin", "verify", "--data-dir", dataDir], { env: { ...process.env, DATABASE_URL: pg.url }, encoding: "utf8" });
    expect(cli.stdout).toMatch(/^ledger OK/);
    expect(cli.status).toBe(0);
  }, 300_000);
});
