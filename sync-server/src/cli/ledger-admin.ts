/** `admin store create`, `user enroll`, `topup`, `balances`, `payments`, `verify`, `demo-seed`. */
import { isCurrencyCode, parseMajorAmount } from "@codepay/contract";
import { balances, createStore, enrollUser, listPayments, topUp, verify } from "../admin/admin-commands.js";
import { demoSeed } from "../admin/demo-seed.js";
import type { AdminCommands } from "./admin-command.js";
import { dataDir, keyValues, MUTATING, parse, positiveInt, print, requestIdOf, required, text, UsageError } from "./cli-args.js";

/** Stores, users, money and the ledger check. */
export const LEDGER_COMMANDS: AdminCommands = {
  "store create": async (rest, io) => {
    const { values } = parse(rest, { ...MUTATING, id: { type: "string" }, name: { type: "string" }, currency: { type: "string" } });
    const result = await createStore({ dataDir: dataDir(values, io), id: required(values, "id"), name: required(values, "name"), currency: required(values, "currency"), ...requestIdOf(values) });
    print(io, values["json"] === true, result, () => keyValues(result));
    return 0;
  },
  "user enroll": async (rest, io) => {
    const { values } = parse(rest, { ...MUTATING, id: { type: "string" }, name: { type: "string" }, phone: { type: "string" }, carrier: { type: "string" } });
    const carrier = text(values, "carrier");
    const result = await enrollUser({
      ...requestIdOf(values),
      dataDir: dataDir(values, io),
      userId: required(values, "id"),
      name: required(values, "name"),
      phoneId: required(values, "phone"),
      ...(carrier !== undefined ? { carrier } : {}),
    });
    print(io, values["json"] === true, result, () => `${keyValues(result)}\n(the credential is shown only once)`);
    return 0;
  },
  "topup": async (rest, io) => {
    const { values } = parse(rest, { user: { type: "string" }, amount: { type: "string" }, currency: { type: "string" }, "request-id": { type: "string" } });
    const currency = required(values, "currency");
    if (!isCurrencyCode(currency)) throw new UsageError(`unknown currency ${currency}`);
    const amountMinor = parseMajorAmount(required(values, "amount"), currency);
    if (amountMinor === undefined || amountMinor <= 0) throw new UsageError(`--amount must be a positive amount in ${currency} ("1200", "12.34")`);
    const result = await topUp({ dataDir: dataDir(values, io), userId: required(values, "user"), amountMinor, currency, requestId: required(values, "request-id") });
    print(io, values["json"] === true, result, () => keyValues(result));
    return 0;
  },
  "balances": async (rest, io) => {
    const { values } = parse(rest, {});
    const result = await balances({ dataDir: dataDir(values, io) });
    print(io, values["json"] === true, result, () =>
      [
        ...result.accounts.map((a) => `${a.kind.padEnd(7)} ${a.ownerId.padEnd(32)} ${a.currency} ${String(a.balanceMinor).padStart(16)}`),
        ...Object.entries(result.totals).map(([currency, total]) => `total   ${"".padEnd(32)} ${currency} ${String(total).padStart(16)}`),
      ].join("\n"),
    );
    return 0;
  },
  "payments": async (rest, io) => {
    const { values } = parse(rest, { limit: { type: "string" } });
    const result = await listPayments({ dataDir: dataDir(values, io), limit: positiveInt(text(values, "limit"), "limit", 50, 1_000) });
    print(io, values["json"] === true, result, () =>
      result.payments.map((p) => `${p.paymentId} ${p.registerId} ${p.state.padEnd(9)} ${p.amount.currency} ${p.amount.minor} code ${p.code}${p.reference ? ` ref ${p.reference}` : ""}`).join("\n"),
    );
    return 0;
  },
  "verify": async (rest, io) => {
    const { values } = parse(rest, {});
    const report = await verify({ dataDir: dataDir(values, io) });
    print(io, values["json"] === true, report, () =>
      report.ok
        ? `ledger OK: ${Object.entries(report.checked).map(([k, v]) => `${v} ${k}`).join(", ")}`
        : report.violations.map((v) => `VIOLATION ${v.code}: ${v.message}`).join("\n"),
    );
    return report.ok ? 0 : 1;
  },
  "demo-seed": async (rest, io) => {
    const { values } = parse(rest, { "mqtt-url": { type: "string" } });
    const mqttUrl = text(values, "mqtt-url");
    const result = await demoSeed({ dataDir: dataDir(values, io), ...(mqttUrl !== undefined ? { mqttUrl } : {}) });
    print(io, values["json"] === true, result, () => keyValues(result));
    return 0;
  },
};
