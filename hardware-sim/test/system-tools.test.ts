import { afterEach, describe, expect, it, vi } from "vitest";
import { findTool, requireToolOrSkip, SystemToolMissingError } from "../src/index.js";

describe("system tools", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("finds executables on PATH and not missing ones", () => {
    expect(findTool("sh")).toMatch(/\/sh$/);
    expect(findTool("codepay-no-such-tool")).toBeUndefined();
    expect(findTool("sh", "")).toBeUndefined();
  });

  it("warns loudly and returns false when a tool is missing", () => {
    vi.stubEnv("CODEPAY_REQUIRE_SYSTEM_TOOLS", "");
    const written: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    expect(requireToolOrSkip("codepay-no-such-tool")).toBe(false);
    expect(written.join("")).toContain(
      "SKIPPED: codepay-no-such-tool not installed — pty tests did not run; install with scripts/install-system-packages.sh",
    );
    expect(requireToolOrSkip("sh")).toBe(true);
  });

  it("throws instead when CODEPAY_REQUIRE_SYSTEM_TOOLS=1", () => {
    vi.stubEnv("CODEPAY_REQUIRE_SYSTEM_TOOLS", "1");
    expect(() => requireToolOrSkip("codepay-no-such-tool")).toThrow(SystemToolMissingError);
  });
});
