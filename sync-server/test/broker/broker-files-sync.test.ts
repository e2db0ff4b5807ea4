/**
 * Register changes rewrite an external broker's passwd and acl and reload it (broker/broker-files-sync.ts),
 * here on SQLite with a reload command that only counts (the real mosquitto and PostgreSQL run in
 * test/scale/broker-files-sync.test.ts). The admin CLI runs in-process (runCli); the pairing route
 * runs on a real fastify instance (inject).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli-main.js";
import { pairRegister } from "../../src/admin/register-commands.js";
import { BrokerFilesSync, rewriteBrokerAccessFiles } from "../../src/broker/broker-files-sync.js";
import { silentLogger, writeBrokerFiles } from "../../src/index.js";
import { openDatabase } from "../../src/parts.js";
import { registerPairingRoute } from "../../src/pairing/pairing-route.js";
import { PAIRING_PATH } from "@codepay/contract";
import { openRegisterKey } from "../../src/auth/register-key.js";
import type { ShopperApp } from "../../src/shopper-api/app.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const serverBin = fileURLToPath(new URL("../../bin/codepay-server.js", import.meta.url));

let dir: { path: string; remove: () => void };
let dataDir: string;
let brokerDir: string;
let reloads: string;

beforeEach(async () => {
  delete process.env["DATABASE_URL"];
  dir = makeTempDir("codepay-broker-sync-");
  dataDir = dir.path;
  brokerDir = join(dir.path, "broker");
  reloads = join(dir.path, "reloads");
  expect((await cli("admin", "store", "create", "--id", "shop", "--name", "Shop", "--currency", "JPY")).code).toBe(0);
});
afterEach(() => dir.remove());

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli([...argv, "--data-dir", dataDir], { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l), env: {} });
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

/** Counts reloads: each one appends a line. */
const countingReload = (): string[] => ["--broker-reload-command", `echo reload >> '${reloads}'`];
const reloadCount = (): number => (existsSync(reloads) ? readFileSync(reloads, "utf8").trim().split("\n").length : 0);
const passwdUsers = (): string[] => readFileSync(join(brokerDir, "passwd"), "utf8").trim().split("\n").map((line) => line.split(":")[0]!);

async function nullBrokerPassword(registerId: string): Promise<void> {
  const db = await openDatabase(dataDir);
  try {
    await db.updateTable("registers").set({ broker_password_hash: null }).where("id", "=", registerId).execute();
  } finally {
    await db.destroy();
  }
}

describe("admin commands keep the broker files in step (--broker-files)", () => {
  it("enroll, disable and enable rewrite passwd and acl from the database and reload the broker once each", async () => {
    expect((await cli("admin", "broker", "files", "--out", brokerDir, "--instances", "2", "--host", "127.0.0.1")).code).toBe(0);
    expect(passwdUsers()).toEqual(["codepay-server-1", "codepay-server-2"]);

    const enrolled = await cli("admin", "register", "enroll", "--store", "shop", "--id", "reg-1", "--name", "Register 1", "--broker-files", brokerDir, ...countingReload());
    expect(enrolled.stdout).toContain(`broker files ${brokerDir} rewritten (1 registers), broker reloaded`);
    expect(enrolled.code).toBe(0);
    expect(passwdUsers()).toEqual(["codepay-server-1", "codepay-server-2", "reg-1"]);
    expect(readFileSync(join(brokerDir, "acl"), "utf8")).toContain("user reg-1\ntopic write codepay/v1/shop/reg-1/up");
    expect(statSync(join(brokerDir, "passwd")).mode & 0o777).toBe(0o640);
    expect(reloadCount()).toBe(1);

    expect((await cli("admin", "register", "disable", "--id", "reg-1", "--broker-files", brokerDir, ...countingReload())).code).toBe(0);
    expect(passwdUsers()).toEqual(["codepay-server-1", "codepay-server-2"]);
    expect(readFileSync(join(brokerDir, "acl"), "utf8")).not.toContain("reg-1");
    expect(reloadCount()).toBe(2);

    expect((await cli("admin", "register", "enable", "--id", "reg-1", "--broker-files", brokerDir, ...countingReload())).code).toBe(0);
    expect(passwdUsers()).toEqual(["codepay-server-1", "codepay-server-2", "reg-1"]);
    expect(reloadCount()).toBe(3);
    expect(readdirSync(brokerDir).filter((name) => name.includes(".tmp-"))).toEqual([]);
  });

  it("admin processes rewriting at once on one SQLite file leave files listing exactly the enabled registers", async () => {
    await writeBrokerFiles({ dataDir, out: brokerDir, instances: 1, port: 1883, host: "127.0.0.1" });
    const ids = ["c-0", "c-1", "c-2", "c-3"];
    for (const id of ids) expect((await cli("admin", "register", "enroll", "--store", "shop", "--id", id, "--name", id)).code).toBe(0);
    // Separate processes, as in deployment (in one process better-sqlite3's busy wait would block the thread that holds the lock).
    const runs = ids.map(
      (id, index) =>
        new Promise<{ code: number | null; stderr: string }>((done) => {
          const child = spawn(process.execPath, [serverBin, "admin", "register", index % 2 === 0 ? "disable" : "enable", "--id", id, "--data-dir", dataDir, "--broker-files", brokerDir, ...countingReload()], {
            env: { ...process.env, DATABASE_URL: "", CODEPAY_LOG_LEVEL: "silent" },
            stdio: ["ignore", "ignore", "pipe"],
          });
          let stderr = "";
          child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
          child.once("exit", (code) => done({ code, stderr }));
        }),
    );
    const results = await Promise.all(runs);
    expect(results).toEqual(ids.map(() => ({ code: 0, stderr: "" })));
    expect(passwdUsers()).toEqual(["codepay-server-1", "c-1", "c-3"]);
    expect(reloadCount()).toBe(4);
  });

  it("the environment works too (CODEPAY_BROKER_FILES, CODEPAY_BROKER_RELOAD_COMMAND)", async () => {
    await writeBrokerFiles({ dataDir, out: brokerDir, instances: 1, port: 1883, host: "127.0.0.1" });
    const stdout: string[] = [];
    const code = await runCli(["admin", "register", "enroll", "--store", "shop", "--id", "reg-env", "--name", "Env", "--data-dir", dataDir], {
      stdout: (l) => stdout.push(l),
      stderr: () => undefined,
      env: { CODEPAY_BROKER_FILES: brokerDir, CODEPAY_BROKER_RELOAD_COMMAND: `echo reload >> '${reloads}'` },
    });
    expect(code).toBe(0);
    expect(passwdUsers()).toContain("reg-env");
    expect(reloadCount()).toBe(1);
  });

  it("bad broker options are refused before anything changes (exit 2)", async () => {
    const orphanReload = await cli("admin", "register", "enroll", "--store", "shop", "--id", "reg-x", "--name", "X", "--broker-reload-pid-file", "/run/mosquitto/mosquitto.pid");
    expect(orphanReload.stderr).toContain("need --broker-files DIR");
    expect(orphanReload.code).toBe(2);
    const both = await cli("admin", "register", "enroll", "--store", "shop", "--id", "reg-x", "--name", "X", "--broker-files", brokerDir, "--broker-reload-pid-file", "/p", "--broker-reload-command", "true");
    expect(both.stderr).toContain("not both");
    expect(both.code).toBe(2);
    expect((await cli("admin", "register", "disable", "--id", "reg-x")).stderr).toContain("no register reg-x");
  });

  it("a reload that fails: the change stays, the files are rewritten, exit 1 says how to finish", async () => {
    await writeBrokerFiles({ dataDir, out: brokerDir, instances: 1, port: 1883, host: "127.0.0.1" });
    const missingPidFile = join(dir.path, "no-such.pid");
    const result = await cli("admin", "register", "enroll", "--store", "shop", "--id", "reg-2", "--name", "Register 2", "--json", "--broker-files", brokerDir, "--broker-reload-pid-file", missingPidFile);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout) as { registerId: string }).toMatchObject({ registerId: "reg-2" }); // committed, and its password shown once
    expect(result.stderr).toContain("register reg-2 enrolled is done, but the broker was not brought up to date");
    expect(result.stderr).toContain(`broker pid file ${missingPidFile}: ENOENT`);
    expect(result.stderr).toContain(`admin broker files --out ${brokerDir}`);
    expect(passwdUsers()).toContain("reg-2");

    writeFileSync(missingPidFile, "not a pid\n");
    const garbage = await cli("admin", "register", "disable", "--id", "reg-2", "--broker-files", brokerDir, "--broker-reload-pid-file", missingPidFile);
    expect(garbage.stderr).toContain("does not hold a process id");
    expect(garbage.code).toBe(1);
  });

  it("a directory `admin broker files` never set up: refused, no passwd written (it would lock every instance out)", async () => {
    const result = await cli("admin", "register", "enroll", "--store", "shop", "--id", "reg-3", "--name", "Register 3", "--broker-files", brokerDir, ...countingReload());
    expect(result.stderr).toContain("run `codepay-server admin broker files --out");
    expect(result.code).toBe(1);
    expect(existsSync(join(brokerDir, "passwd"))).toBe(false);
    expect(reloadCount()).toBe(0);
  });
});

describe("admin broker files", () => {
  it("names the registers it leaves out (no broker password) and how to fix them; re-enrolling brings one back", async () => {
    expect((await cli("admin", "register", "enroll", "--store", "shop", "--id", "old-reg", "--name", "Old")).code).toBe(0);
    expect((await cli("admin", "register", "enroll", "--store", "shop", "--id", "new-reg", "--name", "New")).code).toBe(0);
    await nullBrokerPassword("old-reg"); // as enrolled before migration 0003
    const files = await cli("admin", "broker", "files", "--out", brokerDir, "--instances", "1");
    expect(files.code).toBe(0);
    expect(files.stderr).toContain("WARNING: 1 enabled register(s) left out of the broker's password file, so they cannot connect to it: old-reg");
    expect(files.stderr).toContain("enrolled before migration 0003");
    expect(files.stderr).toContain("codepay-server admin register enroll --store STORE --id REGISTER");
    expect(passwdUsers()).toEqual(["codepay-server-1", "new-reg"]);

    expect((await cli("admin", "register", "enroll", "--store", "shop", "--id", "old-reg", "--name", "Old", "--broker-files", brokerDir)).code).toBe(0);
    expect(passwdUsers()).toEqual(["codepay-server-1", "new-reg", "old-reg"]);
    expect((await cli("admin", "broker", "files", "--out", brokerDir, "--instances", "1")).stderr).toBe("");
  });

  it("--instances N retires the service accounts above N, so later rewrites do not bring them back", async () => {
    await writeBrokerFiles({ dataDir, out: brokerDir, instances: 3, port: 1883, host: "127.0.0.1" });
    expect(passwdUsers()).toEqual(["codepay-server-1", "codepay-server-2", "codepay-server-3"]);
    const kept = readFileSync(join(brokerDir, "service", "codepay-server-1.password"), "utf8");
    await writeBrokerFiles({ dataDir, out: brokerDir, instances: 2, port: 1883, host: "127.0.0.1" });
    expect(passwdUsers()).toEqual(["codepay-server-1", "codepay-server-2"]);
    expect(readFileSync(join(brokerDir, "service", "codepay-server-1.password"), "utf8")).toBe(kept);
    expect(existsSync(join(brokerDir, "service", "codepay-server-3.password.retired"))).toBe(true);
    expect((await cli("admin", "register", "enroll", "--store", "shop", "--id", "reg-4", "--name", "Register 4", "--broker-files", brokerDir)).code).toBe(0);
    expect(passwdUsers()).toEqual(["codepay-server-1", "codepay-server-2", "reg-4"]);
  });
});

describe("BrokerFilesSync (a server instance's rewrites)", () => {
  it("callers arriving during a rewrite share the next one: five at once cost two reloads, and the files list every register", async () => {
    await writeBrokerFiles({ dataDir, out: brokerDir, instances: 1, port: 1883, host: "127.0.0.1" });
    for (const id of ["a-reg", "b-reg"]) expect((await cli("admin", "register", "enroll", "--store", "shop", "--id", id, "--name", id)).code).toBe(0);
    const db = await openDatabase(dataDir);
    try {
      const sync = new BrokerFilesSync(db, { dir: brokerDir, reload: { command: `echo reload >> '${reloads}'` } });
      const results = await Promise.all([sync.sync(), sync.sync(), sync.sync(), sync.sync(), sync.sync()]);
      expect(results.every((files) => files.registers === 2)).toBe(true);
      expect(reloadCount()).toBe(2);
      expect(passwdUsers()).toEqual(["codepay-server-1", "a-reg", "b-reg"]);
      // A failed rewrite does not wedge the next one.
      const broken = new BrokerFilesSync(db, { dir: brokerDir, reload: { command: "exit 3" } });
      await expect(broken.sync()).rejects.toThrow(/broker reload command "exit 3" failed: exit 3/);
      await expect(broken.sync()).rejects.toThrow(/exit 3/);
      await expect(rewriteBrokerAccessFiles(db, join(dir.path, "elsewhere"))).rejects.toThrow(/no service\/ directory/);
    } finally {
      await db.destroy();
    }
  });
});

describe("the pairing route rewrites the broker files before it answers", () => {
  it("a good code: one rewrite, then 200; a wrong code: none; a failing rewrite is logged and the agent still gets its password", async () => {
    await writeBrokerFiles({ dataDir, out: brokerDir, instances: 1, port: 1883, host: "127.0.0.1" });
    const db = await openDatabase(dataDir);
    const app = Fastify();
    let calls = 0;
    let failNext = false;
    registerPairingRoute(app as unknown as ShopperApp, {
      db,
      clock: () => Date.now(),
      logger: silentLogger(),
      dataDir,
      registerKey: (await openRegisterKey(db, dataDir)).key,
      mqttUrl: () => "mqtt://127.0.0.1:1883",
      afterRegisterChange: async () => {
        calls += 1;
        if (failNext) throw new Error("disk full");
        return new BrokerFilesSync(db, { dir: brokerDir }).sync();
      },
    });
    try {
      const redeem = (pairingCode: string) => app.inject({ method: "POST", url: PAIRING_PATH, payload: { pairingCode } });
      expect((await redeem("NOPE-NOPE")).statusCode).toBe(404);
      expect(calls).toBe(0);
      const good = await pairRegister({ dataDir, storeId: "shop", registerId: "paired-1", name: "Paired 1" });
      expect(passwdUsers()).not.toContain("paired-1");
      const paired = await redeem(good.pairingCode);
      expect([paired.statusCode, paired.json().registerId]).toEqual([200, "paired-1"]);
      expect(calls).toBe(1);
      expect(passwdUsers()).toContain("paired-1");

      failNext = true;
      const second = await pairRegister({ dataDir, storeId: "shop", registerId: "paired-2", name: "Paired 2" });
      const answered = await redeem(second.pairingCode);
      expect([answered.statusCode, typeof answered.json().password]).toEqual([200, "string"]);
      expect(calls).toBe(2);
      expect(passwdUsers()).not.toContain("paired-2");
    } finally {
      await app.close();
      await db.destroy();
    }
  });
});

describe("a nats-server cluster directory with register accounts", () => {
  /** The register account (CODEPAY_REGISTERS_k) whose block names this register's certificate. */
  function accountOf(registerId: string): string | undefined {
    let account: string | undefined;
    for (const line of readFileSync(join(brokerDir, "nats-authorization.conf"), "utf8").split("\n")) {
      const opened = /^ {2}(CODEPAY_[A-Z_0-9]+): \{$/.exec(line);
      if (opened !== null) account = opened[1];
      if (line.includes(`user: "CN=${registerId}"`)) return account;
    }
    return undefined;
  }

  it("admin broker files --accounts K keeps K beside the authorization, and a later enrolment's rewrite puts the register in its account", async () => {
    for (const id of ["reg-a", "reg-b"]) expect((await cli("admin", "register", "enroll", "--store", "shop", "--id", id, "--name", id)).code).toBe(0);
    const files = await cli("admin", "broker", "files", "--broker", "nats", "--out", brokerDir, "--instances", "2", "--accounts", "3", "--json");
    expect(files.code).toBe(0);
    expect(JSON.parse(files.stdout)).toMatchObject({ registers: 2, accounts: 3, services: ["codepay-server-1", "codepay-server-2"] });
    expect(readFileSync(join(brokerDir, "nats-accounts"), "utf8")).toBe("3\n");
    const { registerAccountIndex, registerAccountName } = await import("../../src/broker/nats-cluster-files.js");
    for (const id of ["reg-a", "reg-b"]) expect(accountOf(id)).toBe(registerAccountName(registerAccountIndex(id, 3)));

    expect((await cli("admin", "register", "enroll", "--store", "shop", "--id", "reg-c", "--name", "C", "--broker-files", brokerDir, ...countingReload())).code).toBe(0);
    expect(reloadCount()).toBe(1);
    expect(accountOf("reg-c")).toBe(registerAccountName(registerAccountIndex("reg-c", 3)));
    expect(readFileSync(join(brokerDir, "nats-authorization.conf"), "utf8")).toContain(registerAccountName(2));
  });

  it("a nats-accounts file that holds no count stops the rewrite with the reason (the authorization is left as it was)", async () => {
    expect((await cli("admin", "broker", "files", "--broker", "nats", "--out", brokerDir, "--instances", "1")).code).toBe(0);
    const before = readFileSync(join(brokerDir, "nats-authorization.conf"), "utf8");
    writeFileSync(join(brokerDir, "nats-accounts"), "many\n");
    const enrolled = await cli("admin", "register", "enroll", "--store", "shop", "--id", "reg-d", "--name", "D", "--broker-files", brokerDir, ...countingReload());
    expect(enrolled.stderr).toMatch(/nats-accounts holds no account count/);
    expect(readFileSync(join(brokerDir, "nats-authorization.conf"), "utf8")).toBe(before);
    expect(reloadCount()).toBe(0);
  });

  it("--accounts out of range is refused", async () => {
    const refused = await cli("admin", "broker", "files", "--broker", "nats", "--out", brokerDir, "--accounts", "0");
    expect(refused.code).not.toBe(0);
    expect(existsSync(join(brokerDir, "nats-authorization.conf"))).toBe(false);
  });
});
