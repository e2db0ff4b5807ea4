/** `admin register enroll|pair|disable|enable`, `admin registers` (fleet health). */
import { enrollRegister } from "../admin/admin-commands.js";
import { listRegisters, pairRegister, setRegisterEnabled } from "../admin/register-commands.js";
import type { AdminCommands } from "./admin-command.js";
import { BROKER_FILES, brokerFilesOptions, syncBrokerAfterChange } from "./broker-options.js";
import { dataDir, keyValues, MUTATING, parse, positiveInt, print, requestIdOf, required, text, type CliIo } from "./cli-args.js";

/** Registers: enroll, pair, disable and enable (with the external broker's files kept in step). */
export const REGISTER_COMMANDS: AdminCommands = {
  "register enroll": async (rest, io) => {
    const { values } = parse(rest, { ...MUTATING, ...BROKER_FILES, store: { type: "string" }, id: { type: "string" }, name: { type: "string" }, "mqtt-url": { type: "string" } });
    const mqttUrl = text(values, "mqtt-url");
    brokerFilesOptions(values, io); // bad broker options are refused before anything changes
    const result = await enrollRegister({
      ...requestIdOf(values),
      dataDir: dataDir(values, io),
      storeId: required(values, "store"),
      registerId: required(values, "id"),
      name: required(values, "name"),
      ...(mqttUrl !== undefined ? { mqttUrl } : {}),
    });
    print(io, values["json"] === true, result, () => `${keyValues(result)}\n(the password is shown only once)\nagentConfig: ${JSON.stringify(result.agentConfig)}`);
    return syncBrokerAfterChange(values, io, `register ${result.registerId} enrolled`);
  },
  "register pair": async (rest, io) => {
    const { values } = parse(rest, { ...MUTATING, store: { type: "string" }, id: { type: "string" }, name: { type: "string" }, "ttl-s": { type: "string" } });
    const ttl = text(values, "ttl-s");
    const result = await pairRegister({
      dataDir: dataDir(values, io),
      storeId: required(values, "store"),
      registerId: required(values, "id"),
      name: required(values, "name"),
      ...(ttl !== undefined ? { ttlMs: positiveInt(ttl, "ttl-s", 600, 86_400) * 1_000 } : {}),
      ...requestIdOf(values),
    });
    print(io, values["json"] === true, result, () => `pairing code for ${result.registerId}: ${result.pairingCode} (once, until ${new Date(result.expiresAt).toISOString()})\non the register: codepay-agent pair ${result.pairingCode} --server http://<server>:8080 --config agent.json`);
    return 0;
  },
  "registers": async (rest, io) => {
    const { values } = parse(rest, { store: { type: "string" } });
    const storeId = text(values, "store");
    const result = await listRegisters({ dataDir: dataDir(values, io), ...(storeId !== undefined ? { storeId } : {}) });
    print(io, values["json"] === true, result, () =>
      result.registers
        .map((r) => {
          const seen = r.lastSeenAt === null ? "never heard" : `since ${new Date(r.lastSeenAt).toISOString()}`;
          const devices = Object.entries(r.devices).map(([device, state]) => `${device} ${state}`).join(", ");
          return `${r.storeId}/${r.registerId} ${r.disabled ? "disabled" : r.presence} ${seen}${r.agentVersion !== null ? ` agent ${r.agentVersion}` : ""}${devices !== "" ? ` (${devices})` : ""}`;
        })
        .join("\n") || "no registers",
    );
    return 0;
  },
  "register disable": (args, io) => setEnabled(args, io, false),
  "register enable": (args, io) => setEnabled(args, io, true),
};

async function setEnabled(rest: string[], io: CliIo, enabled: boolean): Promise<number> {
  const { values } = parse(rest, { ...MUTATING, ...BROKER_FILES, id: { type: "string" } });
  brokerFilesOptions(values, io); // bad broker options are refused before anything changes
  const result = await setRegisterEnabled({ dataDir: dataDir(values, io), registerId: required(values, "id"), enabled, ...requestIdOf(values) });
  print(io, values["json"] === true, result, () => `register ${result.registerId} ${result.disabled ? "disabled" : "enabled"}`);
  return syncBrokerAfterChange(values, io, `register ${result.registerId} ${result.disabled ? "disabled" : "enabled"}`);
}
