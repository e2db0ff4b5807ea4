/**
 * Files only the server's user may read: the database (scrypt and keyed password hashes, credential
 * hashes, card tokens) with its WAL, the keys, the data directory. SQLite gives its -wal and -shm
 * files the database file's mode, so creating the database 0600 covers them. A file that already
 * exists keeps its mode (an operator may have chosen it); `serve` warns about it instead.
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function makePrivateDirectory(directory: string): void {
  mkdirSync(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
}

/** Creates `file` empty with mode 0600 unless it exists (never truncates, never changes a mode). */
export function createPrivateFileIfMissing(file: string): void {
  closeSync(openSync(file, "a", PRIVATE_FILE_MODE));
}

/** The paths among `paths` that exist and that group or others may use: their mode and the one they should have, in octal. */
export function widerThanPrivate(paths: readonly string[]): { path: string; mode: string; privateMode: string }[] {
  const wide: { path: string; mode: string; privateMode: string }[] = [];
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stats = statSync(path);
    const mode = stats.mode & 0o777;
    const privateMode = stats.isDirectory() ? PRIVATE_DIRECTORY_MODE : PRIVATE_FILE_MODE;
    if ((mode & 0o077) !== 0) wide.push({ path, mode: mode.toString(8), privateMode: privateMode.toString(8) });
  }
  return wide;
}
