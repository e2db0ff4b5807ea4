import { describe, expect, it } from "vitest";
import { deriveTicketKeys } from "../../src/broker/tls-session-tickets.js";

const secret = Buffer.alloc(32, 1);
const cert = Buffer.from("-----BEGIN CERTIFICATE-----\nserver\n-----END CERTIFICATE-----\n");
const ca = Buffer.from("-----BEGIN CERTIFICATE-----\nregister CA\n-----END CERTIFICATE-----\n");

describe("TLS session ticket keys", () => {
  it("are Node's 48 bytes, the same for the same secret and certificates (every restart, every instance)", () => {
    const keys = deriveTicketKeys(secret, { cert, ca });
    expect(keys).toHaveLength(48);
    expect(deriveTicketKeys(Buffer.from(secret), { cert: Buffer.from(cert), ca: Buffer.from(ca) }).equals(keys)).toBe(true);
  });

  it("change with the secret, the server certificate or the client CA: no ticket outlives the CA it was verified under", () => {
    const keys = deriveTicketKeys(secret, { cert, ca });
    const others = [
      deriveTicketKeys(Buffer.alloc(32, 2), { cert, ca }),
      deriveTicketKeys(secret, { cert: Buffer.concat([cert, Buffer.from("x")]), ca }),
      deriveTicketKeys(secret, { cert, ca: Buffer.concat([ca, Buffer.from("x")]) }),
      deriveTicketKeys(secret, { cert }),
      // The separator keeps (cert, ca) pairs apart that concatenate alike.
      deriveTicketKeys(secret, { cert: Buffer.concat([cert, ca]), ca: Buffer.alloc(0) }),
    ];
    for (const other of others) expect(other.equals(keys)).toBe(false);
    expect(new Set(others.map((k) => k.toString("hex"))).size).toBe(others.length);
  });
});
