/** The remembered register logins: a hit needs the same register, stored hash and password. */
import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../src/auth/password-hash.js";
import { VerifiedCredentials } from "../../src/auth/verified-credentials.js";

describe("VerifiedCredentials", () => {
  it("knows a register's right password after remember, and nothing else", () => {
    const verified = new VerifiedCredentials(10);
    expect(verified.has("reg-1", "stored-a", "secret-1")).toBe(false);
    verified.remember("reg-1", "stored-a", "secret-1");
    expect(verified.has("reg-1", "stored-a", "secret-1")).toBe(true);
    expect(verified.has("reg-1", "stored-a", "secret-2")).toBe(false); // wrong password
    expect(verified.has("reg-2", "stored-a", "secret-1")).toBe(false); // another register
    // Re-enrolled or paired again: the stored hash changed, so the old password is not remembered.
    expect(verified.has("reg-1", "stored-b", "secret-1")).toBe(false);
  });

  it("stays within its bound by starting over", () => {
    const verified = new VerifiedCredentials(3);
    for (const id of ["a", "b", "c"]) verified.remember(id, "h", "p");
    expect(verified.size).toBe(3);
    verified.remember("a", "h", "p2"); // replacing an entry does not start over
    expect(verified.size).toBe(3);
    verified.remember("d", "h", "p");
    expect(verified.size).toBe(1);
    expect(verified.has("a", "h", "p2")).toBe(false);
    expect(verified.has("d", "h", "p")).toBe(true);
  });

  it("hashPassword takes a cost, stored in the hash, that verifyPassword honours", async () => {
    const stored = await hashPassword("correct horse", 1024);
    expect(stored.split("$").slice(0, 4)).toEqual(["scrypt", "1024", "8", "1"]);
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("wrong horse", stored)).toBe(false);
  });
});
