/**
 * What a newcomer does: `npm start`, then `npx codepay-sim scenario --payments N` and
 * `npx codepay-server admin balances --json` from another terminal. Real processes, real binaries
 * (the built ones `npm start` runs), real pseudo-terminals, free ports and a temporary data directory.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { requireToolOrSkip } from "@codepay/hardware-sim";

const root = resolve(import.meta.dirname, "../../..");
const hasSocat = requireToolOrSkip("socat", "the npm start test over pseudo-terminals");

interface Ready {
  cashierApi: string;
  gateway: string;
  sim: string;
}

function runBin(bin: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(root, bin), ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every process under `pid` (children, grandchildren...), from ps. */
function descendantsOf(pid: number): number[] {
  const rows = spawnSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout.trim().split("\n");
  const parentOf = new Map(rows.map((row) => row.trim().split(/\s+/).map(Number) as [number, number]));
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, childParent] of parentOf) if (childParent === parent) (found.push(child), queue.push(child));
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasSocat)("npm start runs the whole system", () => {
  let dataDir: string;
  let system: ChildProcess;
  let ready: Ready;
  let output = "";

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "codepay-start-"));
    system = spawn(process.execPath, [join(root, "scripts/start.js")], {
      cwd: root,
      env: { ...process.env, CODEPAY_DATA_DIR: dataDir, CODEPAY_PORTS: "auto", UV_USE_IO_URING: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    system.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    ready = await new Promise<Ready>((resolvePromise, rejectPromise) => {
      const lines = createInterface({ input: system.stdout! });
      lines.on("line", (line) => {
        output += `${line}\n`;
        if (line.startsWith('{"event":"ready"')) resolvePromise(JSON.parse(line) as Ready);
      });
      system.on("exit", (code) => rejectPromise(new Error(`npm start exited (${code}) before ready:\n${output}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (system !== undefined && system.exitCode === null) {
      const exited = new Promise((done) => system.once("exit", done));
      system.kill("SIGTERM");
      await exited;
    }
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  test("the demo payment ran at start and shows the display and the receipt", () => {
    expect(output).toMatch(/CODE \d{3} \d{4}/);
    expect(output).toMatch(/TOTAL\s+JPY 1200/);
    expect(output).toContain("1 passed, 0 failed");
  });

  test("a scenario of payments completes, and the store is credited by exactly their total", () => {
    const before = JSON.parse(runBin("sync-server/bin/codepay-server.js", ["admin", "balances", "--json", "--data-dir", dataDir]).stdout) as {
      accounts: { kind: string; ownerId: string; balanceMinor: number }[];
    };
    const storeBefore = before.accounts.find((a) => a.kind === "store" && a.ownerId === "demo-store")!.balanceMinor;

    const scenario = runBin("hardware-sim/bin/codepay-sim.js", ["scenario", "--payments", "5", "--amount", "700", "--demo", join(dataDir, "demo.json")]);
    expect(scenario.stdout).toContain("5 passed, 0 failed");
    expect(scenario.status).toBe(0);

    const after = JSON.parse(runBin("sync-server/bin/codepay-server.js", ["admin", "balances", "--json", "--data-dir", dataDir]).stdout) as {
      accounts: { kind: string; ownerId: string; balanceMinor: number }[];
      totals: Record<string, number>;
    };
    expect(after.accounts.find((a) => a.kind === "store" && a.ownerId === "demo-store")!.balanceMinor).toBe(storeBefore + 5 * 700);
    for (const total of Object.values(after.totals)) expect(total).toBe(0);
  });

  test("the operator console's printed account signs in", async () => {
    const printed = /operator console\s+(\S+)\/console\s+\(user (\S+), password (\S+);/.exec(output);
    expect(printed).not.toBeNull();
    const [, base, username, password] = printed!;
    const signIn = await fetch(`${base}/console/sign-in`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ username: username!, password: password! }).toString() });
    expect(signIn.status).toBe(303);
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
    const registers = await fetch(`${base}/console/registers`, { headers: { cookie } });
    expect(await registers.text()).toContain('data-register="demo-reg-1"');
  });

  test("the register's cashier API and the phone's gateway are where the ready line says", async () => {
    const health = (await (await fetch(`${ready.cashierApi}/v1/health`)).json()) as { mqtt: string };
    expect(health.mqtt).toBe("up");
    const refused = await fetch(`${ready.gateway}/api/v1/claims`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(refused.status).toBe(401);
  });

  test("SIGTERM (what a supervisor sends) stops every process it started and prints one stopped line", async () => {
    const descendants = descendantsOf(system.pid!);
    expect(descendants.length).toBeGreaterThanOrEqual(3); // server, simulated devices, agent (and socat under the simulator)
    // "close": the process exited and its output was read to the end.
    const exited = new Promise<number | null>((done) => system.once("close", (code) => done(code)));
    system.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output.match(/^Code Pay stopped/gm)).toHaveLength(1);
    expect(descendants.filter(isAlive)).toEqual([]);
    // Nothing is left listening on the cashier API.
    await expect(fetch(`${ready.cashierApi}/v1/health`)).rejects.toThrow();
  });
});
