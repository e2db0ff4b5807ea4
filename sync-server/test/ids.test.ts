import { describe, expect, it } from "vitest";
import { ClientIdSchema, timeOrderedUuid } from "@codepay/contract";
import { newId } from "../src/ids.js";

describe("server-made ids", () => {
  it("are version-7 UUIDs whose first 48 bits are the time in milliseconds", () => {
    const at = Date.UTC(2026, 11, 5, 23, 0, 0, 123);
    const id = newId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
    expect(ClientIdSchema.safeParse(id).success).toBe(true);
  });

  it("sort in the order they were made, across milliseconds, and differ within one", () => {
    const ids = [1, 2, 255, 256, 4096, 1_000_000].map((offset) => newId(1_780_000_000_000 + offset));
    expect([...ids].sort()).toEqual(ids);
    const sameMillisecond = new Set(Array.from({ length: 1000 }, () => newId(1_780_000_000_000)));
    expect(sameMillisecond.size).toBe(1000);
  });

  it("keep the random part of the UUID they are made from", () => {
    expect(timeOrderedUuid("0f1e2d3c-4b5a-4697-a8b9-cadbecfd0e1f", 1)).toBe("00000000-0001-7697-a8b9-cadbecfd0e1f");
  });
});
