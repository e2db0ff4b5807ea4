/**
 * Deployment keys kept as files in the data directory (mode 0600, created on first use, never
 * overwritten): the card key and the register key. They live beside the database, not in it, so a
 * copy of the database (a dump, a backup, a replica) does not carry them.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { makePrivateDirectory } from "../private-files.js";
import { randomBytes } from "node:crypto";

/** The key in `path`; when there is none, `bytes` random bytes written there first. */
export function loadOrCreateKeyFile(path: string, directory: string, bytes: number): Buffer {
  if (!existsSync(path)) {
    makePrivateDirectory(directory);
    try {
      writeFileSync(path, randomBytes(bytes), { mode: 0o600, flag: "wx" }); // never overwrite a key
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    chmodSync(path, 0o600);
  }
  const key = readFileSync(path);
  if (key.length !== bytes) throw new Error(`${path} must hold ${bytes} bytes`);
  return key;
}
