import { describe, expect, it } from "vitest";
import { ClientIdSchema } from "@codepay/contract";
import { newClientId } from "../src/ids.js";

describe("the register's request and payment ids", () => {
  it("are time-ordered UUIDs (the server's idempotency keys then append to its index) that fit the protocol", () => {
    const ids = [0, 1, 2, 1_000, 86_400_000].map((offset) => newClientId(1_780_000_000_000 + offset));
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(ClientIdSchema.safeParse(id).success).toBe(true);
    }
    expect(new Set(Array.from({ length: 1000 }, () => newClientId(1_780_000_000_000))).size).toBe(1000);
  });
});
