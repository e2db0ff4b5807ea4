/**
 * A technician's setup: `codepay-sim devices --transport serial` runs the simulated display, printer
 * and card reader on serial ports, and a real agent drives them over the cables as it would the real
 * devices. Each null-modem cable is a socat pty pair: the simulator (a real child process, the
 * built binary) opens one end by path, the agent's config names the other. A code payment runs
 * through the real server; the code is read off the simulator's decoded display and the receipt off
 * its decoded printer bytes, both through the simulator's control API.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { demoSeed, silentLogger, startServer, type DemoSeedOutput, type RunningServer } from "@codepay/sync-server";
import { parseConfig, startAgent, type RunningAgent } from "@codepay/terminal-agent";
import { codeOnDisplay, requireToolOrSkip, SimPhone, startSocatPair, type SocatPair } from "@codepay/hardware-sim";
import { pollUntil } from "../helpers/poll-until.js";

const root = resolve(import.meta.dirname, "../../..");
const hasSocat = requireToolOrSkip("socat", "the simulator on serial ports (socat pty pairs as null-modem cables)");

interface SimReady {
  control: string;
  devices: Record<string, string>;
}

describe.skipIf(!hasSocat)("codepay-sim devices --transport serial against a real agent", () => {
  let dataDir: string;
  let server: RunningServer;
  let seed: DemoSeedOutput;
  let sim: ChildProcess;
  let simReady: SimReady;
  let agent: RunningAgent;
  const cables: SocatPair[] = [];
  let simStderr = "";

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "codepay-serial-"));
    server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger() });
    seed = await demoSeed({ dataDir });
    const end = (device: string, side: "sim" | "register"): string => join(dataDir, `${device}-${side}`);
    for (const device of ["display", "printer", "card-reader"]) cables.push(await startSocatPair(end(device, "sim"), end(device, "register")));

    sim = spawn(process.execPath, [
      join(root, "hardware-sim/bin/codepay-sim.js"), "devices", "--transport", "serial", "--control-port", "0",
      "--display", end("display", "sim"), "--printer", end("printer", "sim"), "--card-reader", end("card-reader", "sim"), "--printer-baud", "38400",
    ], { cwd: root, env: { ...process.env, UV_USE_IO_URING: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    sim.stderr?.on("data", (chunk: Buffer) => (simStderr += chunk.toString("utf8")));
    simReady = await new Promise<SimReady>((resolvePromise, reject) => {
      const lines = createInterface({ input: sim.stdout! });
      lines.on("line", (line) => {
        const event = JSON.parse(line) as { event: string } & SimReady;
        if (event.event === "ready") resolvePromise(event);
      });
      sim.once("exit", (code) => reject(new Error(`codepay-sim exited ${code}: ${simStderr}`)));
    });

    agent = await startAgent(
      parseConfig({
        server: { url: server.mqttUrl },
        register: { storeId: seed.storeId, registerId: seed.registerId, password: seed.password },
        currency: "JPY",
        storeName: "Demo Store",
        journalPath: join(dataDir, "agent-journal.sqlite"),
        cashierApi: { host: "127.0.0.1", port: 0 },
        devices: {
          display: { path: end("display", "register"), baudRate: 9600 },
          printer: { path: end("printer", "register"), baudRate: 38400, drawer: true },
          cardReader: { path: end("card-reader", "register"), baudRate: 9600 },
        },
      }),
      { logger: silentLogger() },
    );
  });

  afterAll(async () => {
    await agent?.stop();
    if (sim && sim.exitCode === null) {
      const exited = new Promise((resolvePromise) => sim.once("exit", resolvePromise));
      sim.kill("SIGTERM");
      await exited;
    }
    for (const cable of cables) await cable.stop();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function simGet<T>(path: string): Promise<T> {
    return (await (await fetch(`${simReady.control}${path}`)).json()) as T;
  }

  test("the ready line names the ports it opened", () => {
    expect(simReady.devices).toEqual({ display: join(dataDir, "display-sim"), printer: join(dataDir, "printer-sim"), cardReader: join(dataDir, "card-reader-sim") });
  });

  test("a code payment: the code on the simulated display, the receipt and drawer kick on the simulated printer", async () => {
    const cashier = async (path: string, body?: unknown) => {
      const response = await fetch(`${agent.cashierApiUrl}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await response.json()) as { mqtt?: string; payment?: { paymentId: string; state: string; receiptPrinted: boolean } };
    };
    await pollUntil("the agent's line to the server", async () => ((await cashier("/v1/health")).mqtt === "up" ? true : undefined));
    const paymentId = (await cashier("/v1/payments", { amountMinor: 1500 })).payment!.paymentId;
    const code = await pollUntil("the code on the simulated display", async () => codeOnDisplay((await simGet<{ lines: string[] }>("/api/display")).lines[1] ?? ""));
    const phone = new SimPhone({ gatewayUrl: server.gatewayUrl, subscriberCredential: seed.subscriberCredential });
    expect(await phone.claim(code)).toMatchObject({ ok: true, value: { paymentId } });
    expect(await phone.approve(paymentId)).toMatchObject({ ok: true, value: { state: "approved" } });
    const receipt = await pollUntil("the receipt on the simulated printer", async () =>
      (await simGet<{ receipts: Array<{ text: string; cut: boolean; drawerKicks: number }> }>("/api/printer")).receipts.find((r) => r.text.includes(paymentId) && r.cut),
    );
    expect(receipt.text).toMatch(/TOTAL +JPY 1500/);
    await pollUntil("the drawer kicked after the receipt", async () =>
      (await simGet<{ receipts: Array<{ text: string; drawerKicks: number }> }>("/api/printer")).receipts.find((r) => r.text.includes(paymentId) && r.drawerKicks === 1),
    );
    await pollUntil("the agent counting the receipt printed", async () => ((await cashier(`/v1/payments/${paymentId}`)).payment?.receiptPrinted ? true : undefined));
    expect((await simGet<{ lines: string[] }>("/api/display")).lines[0]).toContain("APPROVED");
  });
});
