/**
 * Token buckets per key (a client address, a phone), pure apart from its own map: the time comes
 * in as an argument (STYLE.md section 3). A bucket holds `burst` tokens and refills `perMinute`
 * tokens a minute; a request takes one. Empty: refused with the wait until the next token. The map
 * is bounded (`keysMax`): when full, the bucket touched longest ago is dropped, which can only make
 * a client less limited, never lock out a newcomer.
 */
import { assert } from "../assert.js";

export interface RateLimit {
  /** Requests a client may make at once. */
  readonly burst: number;
  /** Sustained requests per minute. */
  readonly perMinute: number;
}

export type RateVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

export class RateLimiter {
  /** Insertion order is touch order (delete + set), so the first key is the least recently used. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    private readonly keysMax: number,
  ) {
    assert(limit.burst >= 1 && limit.perMinute > 0 && keysMax >= 1, "rate limit needs burst >= 1, perMinute > 0, keysMax >= 1");
  }

  take(key: string, nowMs: number): RateVerdict {
    const msPerToken = 60_000 / this.limit.perMinute;
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, updatedAtMs: nowMs };
    this.buckets.delete(key);
    // A clock that steps back refills nothing.
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + Math.max(0, nowMs - bucket.updatedAtMs) / msPerToken);
    bucket.updatedAtMs = nowMs;
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.keysMax) this.buckets.delete(this.buckets.keys().next().value as string);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil((1 - bucket.tokens) * msPerToken) };
  }

  get size(): number {
    return this.buckets.size;
  }
}
