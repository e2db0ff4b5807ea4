import { describe, expect, it } from "vitest";
import { SHORT_REFERENCE_CHARACTERS, shortReference } from "../src/short-reference.js";

describe("shortReference", () => {
  it("takes a UUID's first 8 hex digits, upper case, in two groups of 4", () => {
    expect(shortReference("4f2a91c3-0b1e-4c7d-9a55-2f6e8d1b3a70")).toBe("4F2A-91C3");
  });

  it("skips separators, so the groups are the same whatever the reference's punctuation", () => {
    expect(shortReference("4f2a-91c3-0b1e")).toBe("4F2A-91C3");
    expect(shortReference("ab_cd-ef_gh12")).toBe("ABCD-EFGH");
  });

  it("keeps a short reference whole, without a dangling dash", () => {
    expect(shortReference("tr-1")).toBe("TR1");
    expect(shortReference("abcde")).toBe("ABCD-E");
    expect(shortReference("")).toBe("");
  });

  it("is a prefix of the full reference a cashier sees on the receipt", () => {
    const reference = "9d3e7f10-5a2b-4c6d-8e9f-0a1b2c3d4e5f";
    const short = shortReference(reference).replace("-", "").toLowerCase();
    expect(short).toHaveLength(SHORT_REFERENCE_CHARACTERS);
    expect(reference.replaceAll("-", "").startsWith(short)).toBe(true);
  });
});
