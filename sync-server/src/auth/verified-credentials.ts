/**
 * Remembers register logins that passed scrypt, so a register that reconnects (a network blip, a
 * line flapping, 20,000 registers coming back after a store's router restarts) is checked with one
 * SHA-256 instead of one scrypt (about 50-170 ms of CPU each here: 20,000 of them are minutes of
 * both cores). A hit needs the same register, the same stored hash (re-enrolling or pairing a
 * register changes it, so an old password stops working at once) and a password whose SHA-256
 * equals the remembered one, compared in constant time. Only digests of passwords that were right
 * are kept, in memory, never on disk; register passwords are 24 random bytes, so a fast digest of
 * one cannot be brute-forced the way a human password could. Bounded: past the bound the memory
 * starts over (the next login of each register pays one scrypt again).
 */
import { createHash, timingSafeEqual } from "node:crypto";

interface Verified {
  readonly storedHash: string;
  readonly digest: Buffer;
}

function digestOf(password: string): Buffer {
  return createHash("sha256").update(password, "utf8").digest();
}

export class VerifiedCredentials {
  readonly #byRegister = new Map<string, Verified>();
  constructor(private readonly entriesMax: number) {}

  /** True when this register logged in with this password against this stored hash before. */
  has(registerId: string, storedHash: string, password: string): boolean {
    const verified = this.#byRegister.get(registerId);
    if (verified === undefined || verified.storedHash !== storedHash) return false;
    return timingSafeEqual(verified.digest, digestOf(password));
  }

  /** Call only after scrypt said the password is right. */
  remember(registerId: string, storedHash: string, password: string): void {
    if (this.#byRegister.size >= this.entriesMax && !this.#byRegister.has(registerId)) this.#byRegister.clear();
    this.#byRegister.set(registerId, { storedHash, digest: digestOf(password) });
  }

  get size(): number {
    return this.#byRegister.size;
  }
}
