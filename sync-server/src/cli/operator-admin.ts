/** `admin operator create | password | disable | enable`, `admin operators`: operator console accounts. */
import { createOperator, operatorListing, resetOperatorPassword, setOperatorEnabled } from "../admin/operator-commands.js";
import type { AdminCommands } from "./admin-command.js";
import { dataDir, keyValues, parse, print, required, text, type CliIo } from "./cli-args.js";

export const OPERATOR_COMMANDS: AdminCommands = {
  "operator create": async (rest, io) => {
    const { values } = parse(rest, { username: { type: "string" }, role: { type: "string" }, store: { type: "string" } });
    const storeId = text(values, "store");
    const result = await createOperator({ dataDir: dataDir(values, io), username: required(values, "username"), role: required(values, "role"), ...(storeId !== undefined ? { storeId } : {}) });
    print(io, values["json"] === true, result, () => `${keyValues(result)}\n(the password is shown only once; sign in on the operator listener at /console)`);
    return 0;
  },
  "operator password": async (rest, io) => {
    const { values } = parse(rest, { username: { type: "string" } });
    const result = await resetOperatorPassword({ dataDir: dataDir(values, io), username: required(values, "username") });
    print(io, values["json"] === true, result, () => `${keyValues(result)}\n(the password is shown only once; the account's sessions were ended)`);
    return 0;
  },
  "operator disable": (rest, io) => setEnabled(rest, io, false),
  "operator enable": (rest, io) => setEnabled(rest, io, true),
  operators: async (rest, io) => {
    const { values } = parse(rest, {});
    const result = await operatorListing({ dataDir: dataDir(values, io) });
    print(io, values["json"] === true, result, () =>
      result.operators.map((o) => `${o.username} ${o.role}${o.storeId !== null ? ` ${o.storeId}` : ""}${o.disabled ? " disabled" : ""}${o.locked ? " locked" : ""}`).join("\n") || "no operators",
    );
    return 0;
  },
};

async function setEnabled(rest: string[], io: CliIo, enabled: boolean): Promise<number> {
  const { values } = parse(rest, { username: { type: "string" } });
  const result = await setOperatorEnabled({ dataDir: dataDir(values, io), username: required(values, "username"), enabled });
  print(io, values["json"] === true, result, () => keyValues(result));
  return 0;
}
