/**
 * One fault-suite run (Jepsen-style, on loopback): the server, a simulated-devices process and an
 * agent per register run as real processes; each agent reaches the broker through a LineProxy.
 * Load comes from the cashier API and SimPhone (through the carrier gateway) while a seeded
 * nemesis kill -9s the server or an agent, restarts the server gracefully (its embedded broker with
 * it), and cuts or freezes a register's line. Then everything heals and settles, and the run checks:
 * `codepay-server admin verify` passes; every approved payment is approved at its register and has
 * exactly one original receipt on its simulated printer (reprints say REPRINT) or, for at most one
 * payment per kill -9 of its agent, only a REPRINT (the agent counts an attempt before its bytes go
 * out); no receipt for a payment the server did not approve; SIGTERM stops every process with exit code 0.
 * And a payment the cashier API never answered (its agent was killed mid-create, issue 17 item 2) is
 * never approved, though a phone tries any code the restarted agent lets out.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStore, enrollRegister, enrollUser, topUp } from "@codepay/sync-server";
import { SimPhone } from "@codepay/hardware-sim";
import { Prng } from "../simulation/prng.js";
import { LineProxy } from "./line-proxy.js";
import { freeLoopbackPort, freeLoopbackPorts } from "../cluster/loopback-port.js";
import { ManagedProcess, serverBin, agentBin, simBin } from "./processes.js";

const STORE_ID = "fault-store";
const CODE_TTL_S = 8;
const SETTLE_TIMEOUT_MS = 60_000;
const HTTP_TIMEOUT_MS = 3_000;

export interface FaultRunOptions {
  readonly seed: number;
  readonly registers?: number;
  /** How long the nemesis runs. */
  readonly faultDurationMs?: number;
  /** Keep the run directory (logs, databases) even when the run passes. */
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

export interface FaultRunResult {
  readonly seed: number;
  readonly dir: string;
  readonly violations: readonly string[];
  readonly figures: Record<string, number>;
}

interface Register {
  readonly registerId: string;
  readonly proxy: LineProxy;
  readonly devices: ManagedProcess;
  readonly agent: ManagedProcess;
  readonly cashierUrl: string;
  controlUrl: string;
  readonly paymentIds: string[];
  /** Creates the cashier API never answered (the POS saw a failure): none of them may ever be approved. */
  readonly givenUp: string[];
  /** The load makes no new payment here meanwhile (its replace: true would cancel what a fault is testing). */
  paused: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function http(url: string, init?: RequestInit): Promise<{ status: number; json: unknown } | undefined> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    return { status: response.status, json: await response.json().catch(() => undefined) };
  } catch {
    return undefined;
  }
}

interface PaymentView {
  state: string;
  code?: string;
  receiptPrinted?: boolean;
}

async function paymentAt(register: Register, paymentId: string): Promise<PaymentView | undefined> {
  const answer = await http(`${register.cashierUrl}/v1/payments/${paymentId}`);
  return answer?.status === 200 ? (answer.json as { payment: PaymentView }).payment : undefined;
}

const FINAL = new Set(["approved", "declined", "expired", "cancelled", "failed", "voided"]);

export async function runFaults(options: FaultRunOptions): Promise<FaultRunResult> {
  const log = options.log ?? (() => undefined);
  const prng = new Prng(options.seed);
  const dir = mkdtempSync(join(tmpdir(), `codepay-faults-${options.seed}-`));
  const dataDir = join(dir, "data");
  const figures: Record<string, number> = { payments: 0, approvedByPhone: 0, serverKills: 0, serverRestarts: 0, agentKills: 0, midCreateKills: 0, midCreateJournaled: 0, midCreateCodeTried: 0, cuts: 0, freezes: 0 };
  const violations: string[] = [];
  const registerCount = options.registers ?? 2;

  await createStore({ dataDir, id: STORE_ID, name: "Fault Store", currency: "JPY" });
  const passwords: string[] = [];
  for (let i = 0; i < registerCount; i += 1) passwords.push((await enrollRegister({ dataDir, storeId: STORE_ID, registerId: `fault-reg-${i}`, name: `Register ${i}` })).password);
  const credentials: string[] = [];
  for (let i = 0; i < 2; i += 1) {
    const user = await enrollUser({ dataDir, userId: `fault-user-${i}`, name: `Shopper ${i}`, phoneId: `+8170000000${i}` });
    await topUp({ dataDir, userId: `fault-user-${i}`, amountMinor: i === 0 ? 1_000_000_000 : 5_000, currency: "JPY", requestId: `fault-topup-${i}` });
    credentials.push(user.subscriberCredential);
  }

  const [mqttPort, httpPort, gatewayPort, operatorPort] = (await freeLoopbackPorts(4)) as [number, number, number, number];
  const server = new ManagedProcess(
    "server",
    [serverBin, "serve", "--data-dir", dataDir, "--mqtt-port", String(mqttPort), "--http-port", String(httpPort), "--gateway-port", String(gatewayPort), "--operator-port", String(operatorPort), "--code-ttl-s", String(CODE_TTL_S)],
    "listening",
    join(dir, "server.log"),
  );
  const registers: Register[] = [];
  let stopLoad = false;
  try {
    const listening = await server.start();
    const gatewayUrl = String(listening["gateway"]);
    const phones = credentials.map((subscriberCredential) => new SimPhone({ gatewayUrl, subscriberCredential, requestTimeoutMs: HTTP_TIMEOUT_MS }));
    for (let i = 0; i < registerCount; i += 1) {
      const registerId = `fault-reg-${i}`;
      const proxy = await LineProxy.start(mqttPort);
      const devices = new ManagedProcess(`devices-${i}`, [simBin, "devices", "--transport", "tcp", "--control-port", String(await freeLoopbackPort())], "ready", join(dir, `devices-${i}.log`));
      const ready = await devices.start();
      const paths = ready["devices"] as { display: string; printer: string };
      const cashierPort = await freeLoopbackPort();
      const configPath = join(dir, `agent-${i}.json`);
      writeFileSync(
        configPath,
        JSON.stringify({
          server: { url: `mqtt://127.0.0.1:${proxy.port}` },
          register: { storeId: STORE_ID, registerId, password: passwords[i] },
          currency: "JPY",
          storeName: "Fault Store",
          journalPath: join(dir, `journal-${i}.sqlite`),
          cashierApi: { host: "127.0.0.1", port: cashierPort },
          devices: { display: { path: paths.display }, printer: { path: paths.printer, drawer: true } },
        }),
        { mode: 0o600 },
      );
      const agent = new ManagedProcess(`agent-${i}`, [agentBin, "run", "--config", configPath], "ready", join(dir, `agent-${i}.log`));
      await agent.start();
      registers.push({ registerId, proxy, devices, agent, cashierUrl: `http://127.0.0.1:${cashierPort}`, controlUrl: String(ready["control"]), paymentIds: [], givenUp: [], paused: false });
    }

    // Load: each register takes one payment after another; a phone pays most of them.
    const load = registers.map(async (register, index) => {
      let n = 0;
      while (!stopLoad) {
        if (register.paused) {
          await sleep(50);
          continue;
        }
        n += 1;
        const paymentId = `f${options.seed}r${index}p${String(n).padStart(4, "0")}`;
        const amountMinor = 100 * (1 + prng.int(40));
        const created = await http(`${register.cashierUrl}/v1/payments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ amountMinor, paymentId, replace: true }) }); // a POS moving on to the next customer
        if (created?.status !== 201) {
          if (created === undefined) register.givenUp.push(paymentId); // no answer: the POS takes it as failed
          await sleep(200);
          continue;
        }
        register.paymentIds.push(paymentId);
        figures["payments"]! += 1;
        let code: string | undefined;
        for (let attempt = 0; attempt < 20 && code === undefined && !stopLoad; attempt += 1) {
          const view = await paymentAt(register, paymentId);
          if (view?.code !== undefined) code = view.code;
          else if (view !== undefined && FINAL.has(view.state)) break;
          else await sleep(150);
        }
        if (code === undefined) continue;
        const phone = prng.pick(phones);
        const claimed = await phone.claim(code);
        if (!claimed.ok) continue;
        const decided = prng.chance(0.9) ? await phone.approve(paymentId) : await phone.decline(paymentId);
        if (decided.ok && "reference" in decided.value) figures["approvedByPhone"]! += 1;
      }
    });

    // The nemesis: one fault at a time, at seeded moments.
    const faultsUntil = Date.now() + (options.faultDurationMs ?? 15_000);
    while (Date.now() < faultsUntil) {
      await sleep(300 + prng.int(1_500));
      const register = prng.pick(registers);
      // The first fault of every run is the kill mid-create (issue 17 item 2), so each run covers it.
      const fault = figures["midCreateKills"] === 0 ? "killAgentMidCreate" : prng.weighted({ killServer: 2, restartServer: 1, killAgent: 3, killAgentMidCreate: 2, cut: 2, freeze: 2 });
      log(`fault: ${fault}${fault === "killServer" || fault === "restartServer" ? "" : ` ${register.registerId}`}`);
      switch (fault) {
        case "killServer":
          figures["serverKills"]! += 1;
          await server.kill9();
          await sleep(200 + prng.int(1_500));
          await server.start();
          break;
        case "restartServer":
          figures["serverRestarts"]! += 1;
          await server.stop();
          await server.start();
          break;
        case "killAgent":
          figures["agentKills"]! += 1;
          await register.agent.kill9();
          await sleep(200 + prng.int(1_500));
          await register.agent.start();
          break;
        case "killAgentMidCreate":
          await killAgentMidCreate(register, options.seed, figures, prng, phones);
          break;
        case "cut":
          figures["cuts"]! += 1;
          register.proxy.cut();
          await sleep(300 + prng.int(3_000));
          register.proxy.heal();
          break;
        case "freeze":
          figures["freezes"]! += 1;
          register.proxy.freeze();
          await sleep(300 + prng.int(3_000));
          register.proxy.heal();
          break;
      }
    }
    stopLoad = true;
    await Promise.all(load);
    log("faults over; settling");

    // Settle: every payment final at its register and every approved receipt confirmed printed.
    const settleUntil = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      let open = 0;
      for (const register of registers) {
        for (const paymentId of register.paymentIds) {
          const view = await paymentAt(register, paymentId);
          if (view === undefined || !FINAL.has(view.state) || (view.state === "approved" && view.receiptPrinted !== true)) open += 1;
        }
      }
      if (open === 0) break;
      if (Date.now() > settleUntil) {
        violations.push(`${open} payments not final (or approved and not printed) at their register ${SETTLE_TIMEOUT_MS / 1000} s after the faults stopped`);
        break;
      }
      await sleep(500);
    }
    await checkOutcome(dataDir, registers, server, violations, figures);
  } catch (error) {
    violations.push(`harness: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    stopLoad = true;
    for (const register of registers) {
      await register.agent.kill9();
      await register.devices.kill9();
      await register.proxy.close();
    }
    await server.kill9();
    if (violations.length === 0 && options.keep !== true) rmSync(dir, { recursive: true, force: true });
  }
  return { seed: options.seed, dir, violations, figures };
}

/**
 * Issue 17, item 2: the agent is killed just after journaling a create, before the cashier API answers
 * (its line is frozen, so the answer waits for a PUBACK that does not come): the POS sees a failure and
 * the cashier takes cash. After the restart the payment must never pay: a phone tries any code the
 * agent's view lets out; checkOutcome then holds the server to no approval.
 */
async function killAgentMidCreate(register: Register, seed: number, figures: Record<string, number>, prng: Prng, phones: readonly SimPhone[]): Promise<void> {
  figures["midCreateKills"]! += 1;
  register.paused = true;
  try {
    await killAndTryToPay(register, seed, figures, prng, phones);
  } finally {
    register.paused = false;
  }
}

async function killAndTryToPay(register: Register, seed: number, figures: Record<string, number>, prng: Prng, phones: readonly SimPhone[]): Promise<void> {
  const paymentId = `f${seed}x${register.registerId.slice(-1)}n${String(figures["midCreateKills"]).padStart(4, "0")}`;
  register.proxy.freeze();
  const answer = http(`${register.cashierUrl}/v1/payments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ amountMinor: 100 * (1 + prng.int(40)), paymentId, replace: true }) });
  await sleep(50 + prng.int(250));
  await register.agent.kill9();
  const answered = await answer;
  if (answered === undefined) register.givenUp.push(paymentId);
  else if (answered.status === 201) register.paymentIds.push(paymentId);
  register.proxy.heal();
  await sleep(200 + prng.int(800));
  await register.agent.start();
  if (answered !== undefined) return;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const view = await paymentAt(register, paymentId);
    if (view !== undefined && attempt === 0) figures["midCreateJournaled"]! += 1;
    if (view?.code !== undefined) {
      figures["midCreateCodeTried"]! += 1;
      const phone = phones[0]!; // the shopper whose balance covers anything
      const claimed = await phone.claim(view.code);
      const approved = claimed.ok ? await phone.approve(claimed.value.paymentId) : undefined;
      if (approved?.ok === true) figures["midCreatePaid"] = (figures["midCreatePaid"] ?? 0) + 1;
      return;
    }
    if (view === undefined || FINAL.has(view.state)) return;
    await sleep(100);
  }
}

interface ServerPayment {
  paymentId: string;
  registerId: string;
  state: string;
}

async function checkOutcome(dataDir: string, registers: readonly Register[], server: ManagedProcess, violations: string[], figures: Record<string, number>): Promise<void> {
  // SIGTERM: each agent finishes or parks its work, closes devices and the line, and exits 0.
  const approvedViews = new Map<string, PaymentView | undefined>();
  for (const register of registers) for (const paymentId of register.paymentIds) approvedViews.set(paymentId, await paymentAt(register, paymentId));
  for (const register of registers) {
    const code = await register.agent.stop();
    if (code !== 0) violations.push(`${register.registerId}: agent exited ${code} on SIGTERM, not 0`);
  }
  const serverCode = await server.stop();
  if (serverCode !== 0) violations.push(`server exited ${serverCode} on SIGTERM, not 0`);

  const verify = spawnSync(process.execPath, [serverBin, "admin", "verify", "--data-dir", dataDir, "--json"], { encoding: "utf8" });
  if (verify.status !== 0) violations.push(`admin verify failed (exit ${verify.status}): ${(verify.stdout + verify.stderr).slice(0, 2_000)}`);
  const listed = spawnSync(process.execPath, [serverBin, "admin", "payments", "--data-dir", dataDir, "--limit", "1000", "--json"], { encoding: "utf8" });
  const payments = (JSON.parse(listed.stdout) as { payments: ServerPayment[] }).payments;
  const approved = payments.filter((payment) => payment.state === "approved");
  figures["approved"] = approved.length;
  figures["serverPayments"] = payments.length;
  const approvedIds = new Set(approved.map((payment) => payment.paymentId));
  for (const register of registers) {
    for (const paymentId of register.givenUp) if (approvedIds.has(paymentId)) violations.push(`${register.registerId}: ${paymentId} was approved, though the cashier API never answered its create`);
  }
  figures["givenUp"] = registers.reduce((sum, register) => sum + register.givenUp.length, 0);

  let receipts = 0;
  let reprints = 0;
  for (const register of registers) {
    const printer = await http(`${register.controlUrl}/api/printer`);
    const texts = ((printer?.json as { receipts?: { text: string }[] } | undefined)?.receipts ?? []).map((receipt) => receipt.text);
    receipts += texts.length;
    reprints += texts.filter((text) => text.includes("REPRINT")).length;
    for (const text of texts) {
      const paymentId = /PAYMENT (\S+)/.exec(text)?.[1];
      if (paymentId === undefined) continue; // reports and other slips
      if (!approvedIds.has(paymentId)) violations.push(`${register.registerId} printed a receipt for ${paymentId}, which the server has not approved`);
    }
    // The agent counts an attempt in its journal before the bytes go out (a silent duplicate original
    // is worse than a REPRINT): a kill -9 between that count and the bytes reaching the printer leaves
    // the payment a REPRINT and no original. One job is out at a time, so each kill of this register's
    // agent can do that to at most one payment; anything beyond is a bug.
    let reprintOnly = 0;
    for (const payment of approved.filter((p) => p.registerId === register.registerId)) {
      const mine = texts.filter((text) => text.includes(`PAYMENT ${payment.paymentId}\n`) || text.endsWith(`PAYMENT ${payment.paymentId}`));
      const originals = mine.filter((text) => !text.includes("REPRINT")).length;
      if (originals === 0 && mine.length > 0) reprintOnly += 1;
      else if (originals !== 1) violations.push(`approved payment ${payment.paymentId}: ${originals} original receipts and ${mine.length - originals} reprints at ${register.registerId}`);
      const view = approvedViews.get(payment.paymentId);
      if (view?.state !== "approved") violations.push(`approved payment ${payment.paymentId} is ${view?.state ?? "unknown"} at ${register.registerId}`);
    }
    figures["reprintOnly"] = (figures["reprintOnly"] ?? 0) + reprintOnly;
    if (reprintOnly > register.agent.kills) violations.push(`${register.registerId}: ${reprintOnly} approved payments have only a REPRINT, more than the ${register.agent.kills} kill -9s of its agent`);
    await register.devices.stop();
  }
  figures["receipts"] = receipts;
  figures["reprints"] = reprints;
}
