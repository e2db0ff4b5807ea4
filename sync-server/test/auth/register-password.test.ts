/** Register passwords: the keyed hash new rows get, and the scrypt rows from before still accepted once. */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashPassword, newPassword, verifyPassword } from "../../src/auth/password-hash.js";
import { checkRegisterPassword, hashRegisterPassword, registerKeyIdOf, registerKeyOf } from "../../src/auth/register-password.js";

const key = registerKeyOf(randomBytes(32));
const otherKey = registerKeyOf(randomBytes(32));

describe("register passwords: keyed hash", () => {
  it("accepts the right password with no rehash and refuses a wrong one", async () => {
    const password = newPassword();
    const stored = hashRegisterPassword(key, password);
    expect(stored).toMatch(new RegExp(`^hmac-sha256\\$${key.id}\\$[A-Za-z0-9_-]{43}$`));
    expect(registerKeyIdOf(stored)).toBe(key.id);
    expect(await checkRegisterPassword(key, password, stored)).toEqual({ ok: true, rehash: false });
    expect(await checkRegisterPassword(key, newPassword(), stored)).toEqual({ ok: false, reason: "wrong password" });
  });

  it("is keyed: the same password under another key is another hash, and a row made with another key says so", async () => {
    const password = newPassword();
    expect(hashRegisterPassword(otherKey, password)).not.toBe(hashRegisterPassword(key, password));
    expect(await checkRegisterPassword(key, password, hashRegisterPassword(otherKey, password))).toEqual({ ok: false, reason: "made with another register key" });
  });

  it("refuses what it cannot read", async () => {
    for (const stored of ["", "hmac-sha256", `hmac-sha256$${key.id}$`, `hmac-sha256$${key.id}$c2hvcnQ`, "md5$abc", "plain-text-password"]) {
      expect(await checkRegisterPassword(key, "plain-text-password", stored)).toMatchObject({ ok: false });
    }
  });
});

describe("register passwords: old scrypt rows", () => {
  it("accept the right password once and ask for a rehash; refuse a wrong one", async () => {
    const password = newPassword();
    const stored = await hashPassword(password, 1024);
    expect(await checkRegisterPassword(key, password, stored)).toEqual({ ok: true, rehash: true });
    expect(await checkRegisterPassword(key, newPassword(), stored)).toEqual({ ok: false, reason: "wrong password" });
  });

  it("hashPassword (still the PIN hash) takes a cost, stored in the hash, that verifyPassword honours", async () => {
    const stored = await hashPassword("correct horse", 1024);
    expect(stored.split("$").slice(0, 4)).toEqual(["scrypt", "1024", "8", "1"]);
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("wrong horse", stored)).toBe(false);
  });
});
