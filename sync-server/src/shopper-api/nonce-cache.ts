/**
 * Remembers assertion nonces for as long as an assertion is valid, so each can be used once.
 * Bounded: when full of unexpired nonces it refuses new ones ("full") rather than forgetting one
 * early, which would open a replay window. In memory: one server process; several instances share
 * the database's instead (shared-nonce-store.ts).
 */
export type NonceVerdict = "fresh" | "replayed" | "full";

/** Where assertion nonces are remembered: this process (NonceCache) or the database (SharedNonceStore). */
export interface NonceStore {
  remember(nonce: string, expiresAt: number, now: number): NonceVerdict | Promise<NonceVerdict>;
}

export class NonceCache implements NonceStore {
  private readonly expiresAtByNonce = new Map<string, number>();

  constructor(private readonly noncesMax: number) {}

  get size(): number {
    return this.expiresAtByNonce.size;
  }

  remember(nonce: string, expiresAt: number, now: number): NonceVerdict {
    const known = this.expiresAtByNonce.get(nonce);
    if (known !== undefined && known > now) return "replayed";
    if (this.expiresAtByNonce.size >= this.noncesMax) this.prune(now);
    if (this.expiresAtByNonce.size >= this.noncesMax) return "full";
    this.expiresAtByNonce.set(nonce, expiresAt);
    return "fresh";
  }

  private prune(now: number): void {
    for (const [nonce, expiresAt] of this.expiresAtByNonce) {
      if (expiresAt <= now) this.expiresAtByNonce.delete(nonce);
    }
  }
}
