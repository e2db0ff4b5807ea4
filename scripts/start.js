#!/usr/bin/env node
// `npm start`: the whole system on embedded defaults, on this machine.
//   1. seeds ./data with a demo store, register, shopper and phone (idempotent),
//   2. starts the sync-server (embedded MQTT broker, SQLite, shopper API, carrier gateway),
//   3. starts the simulated devices (pole display, receipt printer, card reader) on pseudo-terminals
//      (socat) or, where socat is missing, on loopback TCP like a serial device server,
//   4. writes the agent's config and starts the terminal-agent against those devices,
//   5. runs one demo payment so a newcomer watches it happen, then keeps everything running.
// Child processes log to ./data/logs/<name>.log. Ctrl-C (SIGINT) or SIGTERM (what a supervisor sends) stops
// every child, prints one "stopped" line and exits. `npm start` execs this script, so a SIGTERM to the npm
// process reaches it (npm forwards the signal; a shell left in between would not).
//
// Environment: CODEPAY_DATA_DIR (default ./data); CODEPAY_PORTS=auto picks free ports instead of the
// defaults (1883, 8080, 8081, 7070, 7080); CODEPAY_DEMO_PAYMENT=0 skips the demo payment.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { resolve, join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = resolve(process.env.CODEPAY_DATA_DIR ?? join(root, "data"));
const autoPorts = process.env.CODEPAY_PORTS === "auto";
const port = (fixed) => String(autoPorts ? 0 : fixed);
const readyTimeoutMs = 30_000;

const bins = {
  server: join(root, "sync-server/bin/codepay-server.js"),
  agent: join(root, "terminal-agent/bin/codepay-agent.js"),
  sim: join(root, "hardware-sim/bin/codepay-sim.js"),
};

const children = [];
let stopping = false;

function log(line) {
  process.stdout.write(`${line}\n`);
}

function fail(message) {
  process.stderr.write(`\nnpm start failed: ${message}\nLogs: ${join(dataDir, "logs")}\n`);
  stopAll(1);
}

/** Spawns a child, sends its output to data/logs/<name>.log, resolves with its first JSON line whose event matches. */
function startChild(name, args, readyEvent) {
  const logFile = createWriteStream(join(dataDir, "logs", `${name}.log`), { flags: "a", mode: 0o600 });
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, UV_USE_IO_URING: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push({ name, child });
  child.stderr.pipe(logFile);
  return new Promise((resolvePromise, rejectPromise) => {
    const timer = setTimeout(() => rejectPromise(new Error(`${name} not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      logFile.write(`${line}\n`);
      if (!line.startsWith("{")) return;
      try {
        const message = JSON.parse(line);
        if (message.event === readyEvent) {
          clearTimeout(timer);
          resolvePromise(message);
        }
      } catch {
        // not a JSON line: only logged
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (!stopping) {
        rejectPromise(new Error(`${name} exited (${signal ?? code}) before it was ready`));
        fail(`${name} exited (${signal ?? code}); see ${join(dataDir, "logs", `${name}.log`)}`);
      }
    });
  });
}

const DEMO_OPERATOR = "demo-admin";

function runJson(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${args.slice(1).join(" ")} failed:\n${result.stderr || result.stdout}`);
  return JSON.parse(result.stdout);
}

/** The demo's console administrator: made on the first start, a new password (printed) on every start after. */
function demoOperator() {
  const base = [bins.server, "admin"];
  const renewed = spawnSync(process.execPath, [...base, "operator", "password", "--username", DEMO_OPERATOR, "--json", "--data-dir", dataDir], { cwd: root, encoding: "utf8" });
  if (renewed.status === 0) return JSON.parse(renewed.stdout);
  return runJson([...base, "operator", "create", "--username", DEMO_OPERATOR, "--role", "admin", "--json", "--data-dir", dataDir]);
}

function hasSocat() {
  return spawnSync("socat", ["-V"], { stdio: "ignore" }).status === 0;
}

async function stopAll(exitCode = 0) {
  if (stopping) return;
  stopping = true;
  // Agent first (it publishes "offline" and closes its ports), then devices, then the server.
  for (const name of ["agent", "sim", "server"]) {
    const entry = children.find((c) => c.name === name);
    if (!entry || entry.child.exitCode !== null) continue;
    entry.child.kill("SIGTERM");
    await new Promise((done) => {
      const timer = setTimeout(() => {
        entry.child.kill("SIGKILL");
        done();
      }, 5_000);
      entry.child.once("exit", () => {
        clearTimeout(timer);
        done();
      });
    });
  }
  log(`Code Pay stopped (agent, simulated devices and server)${exitCode === 0 ? "" : `, exit ${exitCode}`}`);
  process.exit(exitCode);
}

process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));

async function main() {
  mkdirSync(join(dataDir, "logs"), { recursive: true, mode: 0o700 }); // logs name registers and payments: this user only
  mkdirSync(join(dataDir, "sim"), { recursive: true });

  log("Code Pay: starting server, simulated devices and register agent");
  const seed = runJson([bins.server, "admin", "demo-seed", "--json", "--data-dir", dataDir]);
  const operator = demoOperator();

  const server = await startChild(
    "server",
    [bins.server, "serve", "--data-dir", dataDir, "--mqtt-port", port(1883), "--http-port", port(8080), "--gateway-port", port(8081), "--operator-port", port(8082)],
    "listening",
  );

  const transport = hasSocat() ? "pty" : "tcp";
  if (transport === "tcp") log("  socat not found: simulated devices use loopback TCP (tcp://) instead of pseudo-terminals");
  const sim = await startChild(
    "sim",
    [bins.sim, "devices", "--transport", transport, "--dir", join(dataDir, "sim"), "--control-port", port(7080)],
    "ready",
  );

  const agentConfigPath = join(dataDir, "agent.json");
  const agentConfig = {
    server: { url: server.mqtt },
    register: { storeId: seed.storeId, registerId: seed.registerId, password: seed.password },
    currency: "JPY",
    language: "en",
    storeName: "Demo Store",
    registerName: seed.registerName,
    journalPath: join(dataDir, `agent-${seed.registerId}.sqlite`),
    cashierApi: { host: "127.0.0.1", port: Number(port(7070)) },
    devices: {
      display: { path: sim.devices.display, baudRate: 9600, model: "epson" },
      printer: { path: sim.devices.printer, baudRate: 19200, model: "epson", drawer: true },
      cardReader: { path: sim.devices.cardReader, baudRate: 9600 },
    },
  };
  writeFileSync(agentConfigPath, `${JSON.stringify(agentConfig, null, 2)}\n`, { mode: 0o600 });
  chmodSync(agentConfigPath, 0o600);

  const agent = await startChild("agent", [bins.agent, "run", "--config", agentConfigPath], "ready");

  const demo = {
    gateway: server.gateway,
    shopperApi: server.shopperApi,
    operator: server.operator,
    mqtt: server.mqtt,
    cashierApi: agent.cashierApi,
    sim: sim.control,
    subscriberCredential: seed.subscriberCredential,
    phoneId: seed.phoneId,
    storeId: seed.storeId,
    registerId: seed.registerId,
  };
  writeFileSync(join(dataDir, "demo.json"), `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });

  log("");
  log(`  sync-server   MQTT ${server.mqtt}   shopper API ${server.shopperApi}   carrier gateway ${server.gateway}   operator ${server.operator} (/metrics, /health)`);
  log(`  agent         cashier API ${agent.cashierApi}   register ${seed.registerId} of ${seed.storeId}`);
  log(`  devices       display ${sim.devices.display}`);
  log(`                printer ${sim.devices.printer}`);
  log(`                card reader ${sim.devices.cardReader}   (control API ${sim.control})`);
  log(`  data          ${dataDir}   logs in ${join(dataDir, "logs")}`);
  log("");
  log("Pages (open in a browser):");
  log(`  shopper page          ${server.gateway}/pay#phone=${seed.subscriberCredential}   (as the demo phone)`);
  log(`  technician dashboard  ${sim.control}/`);
  log(`  cashier panel         ${agent.cashierApi}/`);
  log(`  operator console      ${server.operator}/console   (user ${operator.username}, password ${operator.password}; new each start)`);
  log("");

  if (process.env.CODEPAY_DEMO_PAYMENT !== "0") {
    log("Demo payment: the register asks for 1200 JPY, the phone reads the code off the pole display and approves:");
    const scenario = spawnSync(process.execPath, [bins.sim, "scenario", "--payments", "1", "--demo", join(dataDir, "demo.json"), "--show"], {
      cwd: root,
      stdio: "inherit",
    });
    if (scenario.status !== 0) log("  the demo payment failed: see the logs above and in data/logs");
    log("");
  }

  log("Running. Try, in another terminal:");
  log("  npx codepay-sim scenario --payments 20        20 payments: register -> display -> phone -> receipt");
  log("  npx codepay-agent pay 1200                     start one payment at the register and wait for it");
  log("  npx codepay-server admin balances --json       the ledger: store credited, every currency sums to zero");
  log("Ctrl-C (or SIGTERM) stops everything.");
  log(JSON.stringify({ event: "ready", ...demo, subscriberCredential: undefined }));
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));
