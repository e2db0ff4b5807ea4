/** Every error code has an HTTP status and a row in the "Error codes" table of docs/protocol.md (and nothing else does). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "@codepay/contract";
import { httpStatusFor } from "../../src/shopper-api/http-status.js";

describe("error codes", () => {
  it("docs/protocol.md lists each code once, with the status the shopper API sends", () => {
    const readme = readFileSync(new URL("../../../docs/protocol.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## Error codes"), readme.indexOf("\n## ", readme.indexOf("## Error codes") + 3));
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map(([, code, status]) => [code, Number(status)]);
    expect(rows).toEqual(ERROR_CODES.map((code) => [code, httpStatusFor(code)]));
  });
});
