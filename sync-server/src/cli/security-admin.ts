/** `admin user set-pin`, `carrier add|rotate`, `card enroll`, `tls ca|issue-register|issue-server`. */
import { enrollCard } from "../admin/card-commands.js";
import { addCarrier, rotateCarrier, setUserPin } from "../admin/security-commands.js";
import { createTlsCa, issueRegisterCert, issueServerCert } from "../admin/tls-commands.js";
import type { AdminCommands } from "./admin-command.js";
import { dataDir, keyValues, MUTATING, parse, print, requestIdOf, required, type CliIo } from "./cli-args.js";

/** Secrets and keys: shopper PINs, carrier keys, enrolled cards, TLS certificates. */
export const SECURITY_COMMANDS: AdminCommands = {
  "user set-pin": async (rest, io) => {
    const { values } = parse(rest, { ...MUTATING, user: { type: "string" }, pin: { type: "string" } });
    const result = await setUserPin({ dataDir: dataDir(values, io), userId: required(values, "user"), pin: required(values, "pin"), ...requestIdOf(values) });
    print(io, values["json"] === true, result, () => `PIN set for ${result.userId}`);
    return 0;
  },
  "carrier add": (args, io) => carrierKeys(args, io, "add"),
  "carrier rotate": (args, io) => carrierKeys(args, io, "rotate"),
  "card enroll": async (rest, io) => {
    const { values } = parse(rest, { ...MUTATING, user: { type: "string" }, pan: { type: "string" } });
    const result = await enrollCard({ dataDir: dataDir(values, io), userId: required(values, "user"), pan: required(values, "pan"), ...requestIdOf(values) });
    print(io, values["json"] === true, result, () => `card ending ${result.last4} enrolled for ${result.userId}`);
    return 0;
  },
  "tls ca": async (rest, io) => {
    const { values } = parse(rest, { out: { type: "string" } });
    const result = createTlsCa({ out: required(values, "out") });
    print(io, values["json"] === true, result, () => `CA certificate ${result.cert}\nCA key ${result.key} (mode 0600; keep it off the registers)`);
    return 0;
  },
  "tls issue-register": async (rest, io) => {
    const { values } = parse(rest, { ca: { type: "string" }, register: { type: "string" }, out: { type: "string" } });
    const result = issueRegisterCert({ ca: required(values, "ca"), registerId: required(values, "register"), out: required(values, "out") });
    print(io, values["json"] === true, result, () => `${keyValues(result)}\nagent config: "server": { "url": "mqtts://<server>:8883", "tls": { "ca": "${result.ca}", "cert": "${result.cert}", "key": "${result.key}" } }`);
    return 0;
  },
  "tls issue-server": async (rest, io) => {
    const { values } = parse(rest, { ca: { type: "string" }, host: { type: "string" }, out: { type: "string" } });
    const result = issueServerCert({ ca: required(values, "ca"), host: required(values, "host"), out: required(values, "out") });
    print(io, values["json"] === true, result, () => `${keyValues(result)}\nserve --mqtt-tls-port 8883 --tls-cert ${result.cert} --tls-key ${result.key} --tls-ca ${result.ca} --require-client-cert`);
    return 0;
  },
};

async function carrierKeys(rest: string[], io: CliIo, change: "add" | "rotate"): Promise<number> {
  const { values } = parse(rest, { id: { type: "string" }, "retire-old": { type: "boolean" } });
  const carrierId = required(values, "id");
  const result =
    change === "add"
      ? await addCarrier({ dataDir: dataDir(values, io), carrierId })
      : await rotateCarrier({ dataDir: dataDir(values, io), carrierId, retireOld: values["retire-old"] === true });
  print(io, values["json"] === true, result, () => `carrier ${result.carrierId}: signing with ${result.currentKeyId}; trusted ${result.trustedKeyIds.join(", ")}`);
  return 0;
}
