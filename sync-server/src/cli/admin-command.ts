/** One `codepay-server admin ...` command: its arguments after the command words, in; the exit code, out. */
import type { CliIo } from "./cli-args.js";

export type AdminCommand = (args: string[], io: CliIo) => Promise<number>;

/** Commands by their words ("register enroll", "verify"); cli-main.ts merges the tables. */
export type AdminCommands = Readonly<Record<string, AdminCommand>>;
