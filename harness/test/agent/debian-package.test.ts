/**
 * The codepay-agent Debian package, for real (issue 21): built once with `npm run package:agent`
 * (twice: a second build with a bumped version for the upgrade, reusing the cached runtime), installed
 * with `dpkg -i` into this machine (CI runs as root), paired with `codepay-agent pair` against a running
 * server, one card payment through the simulated devices on socat pseudo-terminals, an upgrade while a
 * code payment is in flight (the phone approves it while the agent restarts), then remove and purge.
 * No systemd runs here as PID 1: the agent is started the way the installed unit says (its User,
 * SupplementaryGroups, WorkingDirectory, Environment, ExecCondition and ExecStart, NoNewPrivileges),
 * and the unit is checked with `systemd-analyze verify`.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balances, demoSeed, enrollCard, listPayments, pairRegister, silentLogger, startServer, type DemoSeedOutput, type RunningServer } from "@codepay/sync-server";
import { SimPhone, codeOnDisplay, requireToolOrSkip, startDevices, type SimDevices } from "@codepay/hardware-sim";
import { pollUntil } from "../helpers/poll-until.js";

const root = path.resolve(import.meta.dirname, "../../..");
const CONFIG = "/etc/codepay/agent.json";
const STATE = "/var/lib/codepay-agent";
const UNIT = "/lib/systemd/system/codepay-agent.service";
const VISA_PAN = "4111111111111111"; // the simulator's "visa" test card
const baseVersion = (JSON.parse(readFileSync(path.join(root, "terminal-agent/package.json"), "utf8")) as { version: string }).version;

const runnable = process.getuid?.() === 0 && requireToolOrSkip("dpkg-deb", "the Debian package test") && requireToolOrSkip("socat", "the Debian package test") && requireToolOrSkip("setpriv", "the Debian package test");

function sh(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function installedVersion(): string | undefined {
  const query = spawnSync("dpkg-query", ["-W", "-f", "${Status} ${Version}", "codepay-agent"], { encoding: "utf8" });
  const match = /install ok installed (\S+)/.exec(query.stdout);
  return match?.[1];
}

interface UnitService {
  readonly user: string;
  readonly groups: string;
  readonly workingDirectory: string;
  readonly environment: Record<string, string>;
  readonly execCondition: string[];
  readonly execStart: string[];
}

/** The [Service] settings the test starts the agent with, read from the installed unit. */
function readUnit(text: string): UnitService {
  const settings = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) settings.set(match[1]!, [...(settings.get(match[1]!) ?? []), match[2]!]);
  }
  const one = (key: string): string => {
    const values = settings.get(key);
    if (values?.length !== 1) throw new Error(`${UNIT}: expected one ${key}=, found ${values?.length ?? 0}`);
    return values[0]!;
  };
  return {
    user: one("User"),
    groups: one("SupplementaryGroups"),
    workingDirectory: one("WorkingDirectory"),
    environment: Object.fromEntries((settings.get("Environment") ?? []).map((entry) => entry.split("=", 2) as [string, string])),
    execCondition: one("ExecCondition").split(" "),
    execStart: one("ExecStart").split(" "),
  };
}

/** argv run as the unit's user with its groups and NoNewPrivileges, environment as systemd gives it. */
function asUnit(unit: UnitService, argv: readonly string[]): { command: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string } {
  return {
    command: "setpriv",
    args: [`--reuid=${unit.user}`, `--regid=${unit.user}`, `--groups=${unit.groups}`, "--no-new-privs", "--", ...argv],
    env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: unit.workingDirectory, USER: unit.user, LOGNAME: unit.user, ...unit.environment },
    cwd: unit.workingDirectory,
  };
}

describe.skipIf(!runnable)("the codepay-agent Debian package", () => {
  let work: string;
  let debs: { first: string; second: string };
  let server: RunningServer;
  let seed: DemoSeedOutput;
  let dataDir: string;
  let devices: SimDevices;
  let phone: SimPhone;
  let agent: { child: ChildProcess; cashierApi: string; stderr: () => string } | undefined;
  const paymentIds: string[] = [];

  function buildPackage(version: string): string {
    const started = Date.now();
    const out = execFileSync(process.execPath, [path.join(root, "scripts/package-agent.mjs"), "--version", version, "--out", path.join(work, "debs"), "--no-build", "--compression", "zstd"], {
      encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
    });
    process.stderr.write(`codepay-agent ${version} packaged in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    return out.trim().split("\n").at(-1)!;
  }

  async function startAgentAsUnit(): Promise<{ child: ChildProcess; cashierApi: string; stderr: () => string }> {
    const unit = readUnit(readFileSync(UNIT, "utf8"));
    const run = asUnit(unit, unit.execStart);
    const child = spawn(run.command, run.args, { cwd: run.cwd, env: { ...run.env, CODEPAY_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const cashierApi = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (!line.startsWith("{")) return;
        const event = JSON.parse(line) as { event?: string; cashierApi?: string };
        if (event.event === "ready" && event.cashierApi !== undefined) resolve(event.cashierApi);
      });
      child.once("exit", (code) => reject(new Error(`the packaged agent exited (${code}) before ready: ${stderr}`)));
    });
    await pollUntil("the packaged agent's MQTT link up", async () => (((await (await fetch(`${cashierApi}/v1/health`)).json()) as { mqtt?: string }).mqtt === "up" ? true : undefined));
    return { child, cashierApi, stderr: () => stderr };
  }

  /** What `systemctl stop` (and the restart after an upgrade) does: SIGTERM, and wait for the exit. */
  async function stopAgent(): Promise<number | null> {
    const running = agent;
    agent = undefined;
    if (running === undefined || running.child.exitCode !== null || running.child.signalCode !== null) return running?.child.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => running.child.once("exit", (code) => resolve(code)));
    running.child.kill("SIGTERM");
    return exited;
  }

  async function cashier(method: "GET" | "POST", route: string, body?: unknown): Promise<{ status: number; body: { payment?: { paymentId: string; state: string; receiptPrinted: boolean; cardLast4?: string } } }> {
    const response = await fetch(`${agent!.cashierApi}${route}`, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as never };
  }

  async function storeBalance(): Promise<number> {
    return (await balances({ dataDir })).accounts.find((a) => a.kind === "store" && a.ownerId === seed.storeId && a.currency === "JPY")?.balanceMinor ?? 0;
  }

  function purge(): void {
    if (installedVersion() !== undefined || spawnSync("dpkg-query", ["-W", "codepay-agent"]).status === 0) sh("dpkg", ["--purge", "codepay-agent"]);
  }

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "codepay-deb-"));
    execFileSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
    debs = { first: buildPackage(`${baseVersion}+ci1`), second: buildPackage(`${baseVersion}+ci2`) };
    purge(); // a run that died half-way left it installed

    dataDir = path.join(work, "server");
    server = await startServer({ dataDir, ports: { mqtt: 0, shopperApi: 0, gateway: 0 }, logger: silentLogger() });
    seed = await demoSeed({ dataDir });
    await enrollCard({ dataDir, userId: seed.userId, pan: VISA_PAN });
    phone = new SimPhone({ gatewayUrl: server.gatewayUrl, subscriberCredential: seed.subscriberCredential });

    // The devices on pseudo-terminals, made what udev makes a till's serial ports: group dialout, 0660.
    const ptyDir = path.join(work, "pty");
    devices = await startDevices({ transport: "pty", directory: ptyDir });
    chmodSync(work, 0o755);
    chmodSync(ptyDir, 0o755);
    const dialout = Number(sh("getent", ["group", "dialout"]).split(":")[2]);
    for (const link of Object.values(devices.paths)) {
      chownSync(realpathSync(link), 0, dialout);
      chmodSync(realpathSync(link), 0o660);
    }
  }, 20 * 60_000);

  afterAll(async () => {
    await stopAgent();
    await devices?.stop();
    await server?.stop();
    if (runnable) purge();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("is named codepay-agent_<version>_amd64.deb and holds Node 24 and the agent's runtime, nothing of the server or the tests", () => {
    expect(path.basename(debs.first)).toBe(`codepay-agent_${baseVersion}+ci1_amd64.deb`);
    const fields = sh("dpkg-deb", ["-f", debs.first, "Package", "Version", "Architecture"]);
    expect(fields).toBe(`Package: codepay-agent\nVersion: ${baseVersion}+ci1\nArchitecture: amd64\n`);
    const listing = sh("dpkg-deb", ["-c", debs.first]);
    for (const file of ["./opt/codepay-agent/node/bin/node", "./usr/bin/codepay-agent", "./lib/systemd/system/codepay-agent.service", "./lib/udev/rules.d/60-codepay-agent.rules", "./opt/codepay-agent/lib/node_modules/better-sqlite3/build/Release/better_sqlite3.node", "./opt/codepay-agent/lib/node_modules/@codepay/terminal-agent/dist/cli.js"]) {
      expect(listing).toContain(file);
    }
    for (const absent of ["@codepay/sync-server", "node_modules/aedes/", "node_modules/fastify/", "node_modules/kysely/", "node_modules/typescript/", "node_modules/vitest/", "@codepay/hardware-sim", "/include/node/", "better-sqlite3/deps/", "terminal-agent/src/", "terminal-agent/test/"]) {
      expect(listing).not.toContain(absent);
    }
    // Nothing under /etc is shipped: dpkg never asks about (or overwrites) a paired register's config.
    expect(listing).not.toMatch(/ \.\/etc\//);
  });

  it("installs with dpkg -i: the codepay user in dialout, a 0600 config it owns, its journal folder, the service not started unpaired", () => {
    sh("dpkg", ["-i", debs.first]);
    expect(installedVersion()).toBe(`${baseVersion}+ci1`);
    expect(sh("/opt/codepay-agent/node/bin/node", ["--version"]).trim()).toMatch(/^v24\.\d+\.\d+$/);
    expect(sh("id", ["-nG", "codepay"]).split(/\s+/)).toContain("dialout");
    const uid = Number(sh("id", ["-u", "codepay"]));
    const config = statSync(CONFIG);
    expect([config.uid, config.mode & 0o777]).toEqual([uid, 0o600]);
    const state = statSync(STATE);
    expect([state.uid, state.mode & 0o777]).toEqual([uid, 0o700]);
    expect(JSON.parse(readFileSync(CONFIG, "utf8"))).toMatchObject({ journalPath: `${STATE}/journal.sqlite`, devices: { printer: { path: "/dev/codepay-printer" } } });

    // The unit's ExecCondition: the unpaired register is skipped (exit 1-254), so it never starts before pairing.
    const unit = readUnit(readFileSync(UNIT, "utf8"));
    const condition = asUnit(unit, unit.execCondition);
    const check = spawnSync(condition.command, condition.args, { cwd: condition.cwd, env: condition.env, encoding: "utf8" });
    expect(check.status).toBe(2);
    expect(check.stderr).toContain("CONFIG_INVALID");
  });

  it("has a unit that systemd-analyze verify accepts, with the user, watchdog and hardening the issue asks for", () => {
    const text = readFileSync(UNIT, "utf8");
    for (const line of ["User=codepay", "SupplementaryGroups=dialout", "Restart=on-failure", "NotifyAccess=all", "NoNewPrivileges=true", "ProtectSystem=strict", `ReadWritePaths=${STATE}`, "Environment=UV_USE_IO_URING=0"]) {
      expect(text.split("\n")).toContain(line);
    }
    expect(text).toMatch(/^WatchdogSec=\d+$/m);
    if (!requireToolOrSkip("systemd-analyze", "the unit check")) return;
    const verify = spawnSync("systemd-analyze", ["verify", UNIT], { encoding: "utf8" });
    expect(`${verify.stdout}${verify.stderr}`.split("\n").filter((line) => line.includes("codepay-agent"))).toEqual([]);
    expect(verify.status).toBe(0);
  });

  it("pairs with codepay-agent pair (run as root, the config stays the codepay user's) and takes a card payment through the devices", async () => {
    // The technician points the config at this till's ports (udev names on a real till) before pairing.
    const edited = JSON.parse(readFileSync(CONFIG, "utf8")) as Record<string, unknown>;
    writeFileSync(CONFIG, JSON.stringify({ ...edited, cashierApi: { host: "127.0.0.1", port: 0 }, devices: {
      display: { path: devices.paths.display, baudRate: 9600 },
      printer: { path: devices.paths.printer, baudRate: 19200 },
      cardReader: { path: devices.paths.cardReader, baudRate: 9600 },
    } }, null, 2));
    const { pairingCode } = await pairRegister({ dataDir, storeId: seed.storeId, registerId: "reg-deb", name: "Packaged till" });
    // Asynchronously: the server answering the pairing runs in this process.
    const paired = await promisify(execFile)("/usr/bin/codepay-agent", ["pair", pairingCode, "--server", server.shopperApiUrl, "--config", CONFIG], { encoding: "utf8" });
    expect(paired.stdout).toContain("paired register reg-deb");
    const config = statSync(CONFIG);
    expect([config.uid, config.mode & 0o777]).toEqual([Number(sh("id", ["-u", "codepay"])), 0o600]);
    expect(JSON.parse(readFileSync(CONFIG, "utf8"))).toMatchObject({ journalPath: `${STATE}/journal.sqlite`, register: { registerId: "reg-deb" } });

    const unit = readUnit(readFileSync(UNIT, "utf8"));
    const condition = asUnit(unit, unit.execCondition);
    expect(spawnSync(condition.command, condition.args, { cwd: condition.cwd, env: condition.env }).status).toBe(0);

    agent = await startAgentAsUnit();
    const storeBefore = await storeBalance();
    const created = await cashier("POST", "/v1/payments", { amountMinor: 1800, tender: "card" });
    expect(created.status).toBe(201);
    const paymentId = created.body.payment!.paymentId;
    paymentIds.push(paymentId);
    await pollUntil("PLEASE SWIPE CARD on the pole display", () => (devices.display.snapshot().lines[1]?.includes("PLEASE SWIPE CARD") ? true : undefined));
    devices.cardReader.swipe("visa");
    const final = await pollUntil("the card payment approved, its receipt printed", async () => {
      const view = (await cashier("GET", `/v1/payments/${paymentId}`)).body.payment!;
      return view.state === "approved" && view.receiptPrinted ? view : undefined;
    });
    expect(final.cardLast4).toBe("1111");
    expect(devices.printer.snapshot().receipts.filter((receipt) => receipt.text.includes(paymentId))).toHaveLength(1);
    expect(await storeBalance()).toBe(storeBefore + 1800);
    // The journal is where the unit lets the agent write, owned by codepay.
    const journal = statSync(`${STATE}/journal.sqlite`);
    expect(journal.uid).toBe(Number(sh("id", ["-u", "codepay"])));
  });

  it("upgrades to a rebuilt package while a code payment is in flight: approved during the restart, printed once, nothing lost", async () => {
    const storeBefore = await storeBalance();
    const created = await cashier("POST", "/v1/payments", { amountMinor: 1200 });
    expect(created.status).toBe(201);
    const paymentId = created.body.payment!.paymentId;
    paymentIds.push(paymentId);
    const code = await pollUntil("the code on the pole display", () => codeOnDisplay(devices.display.snapshot().lines[1] ?? ""));
    expect(await phone.claim(code)).toMatchObject({ ok: true, value: { paymentId } });
    const configBefore = readFileSync(CONFIG, "utf8");

    sh("dpkg", ["-i", debs.second]);
    expect(installedVersion()).toBe(`${baseVersion}+ci2`);
    expect(readFileSync(CONFIG, "utf8")).toBe(configBefore);

    // postinst restarts a paired register's service: stop the old agent, the phone approves meanwhile.
    expect(await stopAgent()).toBe(0);
    expect(await phone.approve(paymentId)).toMatchObject({ ok: true, value: { state: "approved" } });
    agent = await startAgentAsUnit();
    expect((JSON.parse(readFileSync("/opt/codepay-agent/lib/package.json", "utf8")) as { version: string }).version).toBe(`${baseVersion}+ci2`);

    await pollUntil("the payment approved during the upgrade, its receipt printed", async () => {
      const view = (await cashier("GET", `/v1/payments/${paymentId}`)).body.payment!;
      return view.state === "approved" && view.receiptPrinted ? view : undefined;
    });
    expect(devices.printer.snapshot().receipts.filter((receipt) => receipt.text.includes(paymentId))).toHaveLength(1);
    // The journal kept the payment before the upgrade too, and the server holds each payment once.
    expect((await cashier("GET", `/v1/payments/${paymentIds[0]}`)).body.payment).toMatchObject({ state: "approved", receiptPrinted: true });
    const onServer = (await listPayments({ dataDir })).payments.filter((p) => paymentIds.includes(p.paymentId));
    expect(onServer.map((p) => p.state).sort()).toEqual(["approved", "approved"]);
    expect(await storeBalance()).toBe(storeBefore + 1200);
  });

  it("removes keeping the config and the journal, and purges them", async () => {
    await stopAgent(); // prerm's systemctl stop
    sh("dpkg", ["--remove", "codepay-agent"]);
    expect(existsSync("/usr/bin/codepay-agent")).toBe(false);
    expect(existsSync("/opt/codepay-agent")).toBe(false);
    expect(existsSync(UNIT)).toBe(false);
    expect(JSON.parse(readFileSync(CONFIG, "utf8"))).toMatchObject({ register: { registerId: "reg-deb" } });
    expect(readdirSync(STATE)).toContain("journal.sqlite");

    sh("dpkg", ["--purge", "codepay-agent"]);
    expect(installedVersion()).toBeUndefined();
    expect(existsSync(CONFIG)).toBe(false);
    expect(existsSync(STATE)).toBe(false);
  });
});
