/**
 * A small filesystem of its own for full-disk tests (issue 24): a tmpfs mounted on a temporary
 * directory, which needs root. Without root: a loud skip, or a failure under
 * CODEPAY_REQUIRE_SYSTEM_TOOLS=1 (CI runs as root), as postgresOrSkip does for PostgreSQL.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function rootOrSkip(what: string): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env["CODEPAY_REQUIRE_SYSTEM_TOOLS"] === "1") throw new Error(`${what} needs root (mount -t tmpfs) and CODEPAY_REQUIRE_SYSTEM_TOOLS=1`);
  const warning = `SKIPPED: not root — ${what} did not run (it mounts a small tmpfs)`;
  process.stderr.write(`\n${"!".repeat(warning.length)}\n${warning}\n${"!".repeat(warning.length)}\n\n`);
  return false;
}

export interface SmallTmpfs {
  readonly path: string;
  /** Free bytes for an unprivileged writer now. */
  freeBytes(): number;
  /** Writes a filler file until fewer than `leaveBytes` are free (0: until the filesystem refuses). */
  fill(name: string, leaveBytes?: number): void;
  unmount(): void;
}

export function mountSmallTmpfs(sizeMiB: number): SmallTmpfs {
  const path = mkdtempSync(join(tmpdir(), "codepay-small-disk-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0700`, "tmpfs", path], { encoding: "utf8" });
  if (mounted.status !== 0) throw new Error(`mount -t tmpfs failed: ${mounted.stderr}`);
  const freeBytes = (): number => {
    const stats = statfsSync(path);
    return stats.bavail * stats.bsize;
  };
  return {
    path,
    freeBytes,
    fill(name, leaveBytes = 0) {
      const fd = openSync(join(path, name), "a");
      try {
        for (let chunk = 1024 * 1024; chunk >= 512; ) {
          const want = leaveBytes > 0 ? Math.min(chunk, freeBytes() - leaveBytes) : chunk;
          if (want < 512) break;
          try {
            writeSync(fd, Buffer.alloc(want, 1));
          } catch (error) {
            if ((error as { code?: string }).code !== "ENOSPC") throw error;
            chunk = Math.floor(chunk / 2);
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    unmount() {
      spawnSync("umount", ["-l", path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}
