/**
 * TLS session tickets that outlive the process (issue 23): after a restart every register reconnects
 * at once, and a full TLS 1.3 handshake with a client certificate costs the server about 1.8 ms of CPU
 * and the register about as much; resuming a session from a ticket costs about half on both sides
 * (no certificate is sent, signed or verified again). OpenSSL's default ticket key is random per
 * process, so every ticket dies with the process: the one moment resumption would help most.
 *
 * The ticket key here is derived from a secret file in the data directory (`tls-ticket-key`, 32 random
 * bytes, mode 0600, made at the first TLS start) and from the listener's certificate material:
 * changing the client CA or the server certificate changes the key, so a ticket issued under the old CA
 * is never honoured under the new one (a resumed session skips certificate verification: it carries
 * the verification's result from its full handshake). SECURITY.md "TLS session tickets".
 */
import { createHash, hkdfSync } from "node:crypto";
import { join } from "node:path";
import { loadOrCreateKeyFile } from "../auth/key-file.js";

const SECRET_BYTES = 32;
/** Node's `ticketKeys`: 16 bytes of key name, 16 of HMAC key, 16 of AES key. */
const TICKET_KEYS_BYTES = 48;
const INFO = "codepay mqtt tls session tickets v1";

export function tlsTicketSecretPath(dataDir: string): string {
  return join(dataDir, "tls-ticket-key");
}

/** The listener's ticket keys for this secret and this certificate material (pure). */
export function deriveTicketKeys(secret: Buffer, material: { readonly cert: Buffer; readonly ca?: Buffer | undefined }): Buffer {
  const salt = createHash("sha256")
    .update(material.cert)
    .update("\0")
    .update(material.ca ?? "")
    .digest();
  return Buffer.from(hkdfSync("sha256", secret, salt, INFO, TICKET_KEYS_BYTES));
}

/** The ticket keys of this data directory's TLS listener (the secret file made when missing). */
export function loadTicketKeys(dataDir: string, material: { readonly cert: Buffer; readonly ca?: Buffer | undefined }): Buffer {
  return deriveTicketKeys(loadOrCreateKeyFile(tlsTicketSecretPath(dataDir), dataDir, SECRET_BYTES), material);
}
