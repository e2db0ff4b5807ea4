/**
 * Replaces a file the broker reads so that it never sees a half-written one: the text goes to a
 * temporary file beside it (a name no other writer uses: process id and random bytes, so two
 * rewrites in one process or in several never share one), then rename(2) swaps it in atomically.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, renameSync, rmSync, writeFileSync } from "node:fs";

export function writeFileAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
  try {
    writeFileSync(temporary, text, { mode });
    chmodSync(temporary, mode); // writeFileSync's mode is masked by the umask
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
