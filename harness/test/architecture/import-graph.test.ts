/** The import graph's rules (scripts/check-imports.mjs): no cycles, no upward or undeclared arrows, no reaching into another package's src/. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const script = resolve(import.meta.dirname, "../../../scripts/check-imports.mjs");

function check(root?: string): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [script, ...(root === undefined ? [] : ["--root", root])], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout };
}

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "codepay-imports-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("the import graph", () => {
  it("of this repository breaks no rule", () => {
    const { status, stdout } = check();
    expect(stdout).toMatch(/, 0 violations\n$/);
    expect(status).toBe(0);
  });

  it("fails on a module cycle, an undeclared package (ours or not), a path into another package and /parts outside the harness", () => {
    const root = tree({
      "package.json": JSON.stringify({ workspaces: ["a", "b"] }),
      "a/package.json": JSON.stringify({ name: "@codepay/a", dependencies: {} }),
      "b/package.json": JSON.stringify({ name: "@codepay/b", dependencies: { "@codepay/a": "0.1.0" } }),
      "a/src/one.ts": 'import { two } from "./two.js";\nexport const one = () => two();\n',
      "a/src/two.ts": 'import type { one } from "./one.js";\nexport const two = (): ReturnType<typeof one> | undefined => undefined;\n',
      "a/src/up.ts": 'import { b } from "@codepay/b";\nimport { ReadlineParser } from "@serialport/parser-readline";\nexport const up = [b, ReadlineParser];\n',
      "b/src/index.ts": 'import { one } from "../../a/src/one.js";\nimport { parts } from "@codepay/a/parts";\nexport const b = [one, parts];\n',
    });
    const { status, stdout } = check(root);
    expect(status).toBe(1);
    expect(stdout).toContain("import cycle: a/src/one.ts <-> a/src/two.ts");
    expect(stdout).toContain("a/src/up.ts: imports @codepay/b, which a/package.json does not declare as a dependency");
    expect(stdout).toContain("a/src/up.ts: imports @serialport/parser-readline, which a/package.json does not declare as a dependency");
    expect(stdout).toContain("b/src/index.ts: imports a/src/one.ts of another package by path");
    expect(stdout).toContain("b/src/index.ts: imports @codepay/a/parts, the inner pieces only the harness may compose");
  });
});
