import { describe, expect, it } from "vitest";
import { NonceCache } from "../../src/shopper-api/nonce-cache.js";

describe("nonce cache", () => {
  it("accepts a nonce once while it is valid, and again after it expired", () => {
    const cache = new NonceCache(10);
    expect(cache.remember("n1", 100, 0)).toBe("fresh");
    expect(cache.remember("n1", 100, 50)).toBe("replayed");
    expect(cache.remember("n1", 200, 101)).toBe("fresh");
  });

  it("refuses new nonces when full of live ones rather than forgetting one early", () => {
    const cache = new NonceCache(2);
    expect(cache.remember("a", 100, 0)).toBe("fresh");
    expect(cache.remember("b", 100, 0)).toBe("fresh");
    expect(cache.remember("c", 100, 0)).toBe("full");
    expect(cache.remember("a", 100, 1)).toBe("replayed");
    expect(cache.remember("c", 200, 100)).toBe("fresh"); // a and b expired and were pruned
    expect(cache.size).toBe(1);
  });
});
