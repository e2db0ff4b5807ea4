/**
 * Register pairing: an operator runs `codepay-server admin register pair --store S --id R --name N`,
 * which creates the register and prints a one-time pairing code (10 minutes by default). On the register,
 * `codepay-agent pair <code> --server http://<server>:8080` calls
 *   POST /api/v1/pairings   { pairingCode }   (shopper-API listener; no phone assertion needed)
 * and writes the agent config from the answer. A code works once; a used, unknown or expired code gets
 * PAIRING_CODE_INVALID and changes nothing.
 */
import { z } from "zod";

export const PAIRING_PATH = "/api/v1/pairings";

export const PairingRequestSchema = z.object({
  pairingCode: z.string().regex(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/, "looks like ABCD-EFGH"),
});
export type PairingRequest = z.infer<typeof PairingRequestSchema>;

export const PairingResponseSchema = z.object({
  storeId: z.string(),
  storeName: z.string(),
  registerId: z.string(),
  /** The register's name, as the shopper's phone shows it; absent from servers before issue 17. */
  registerName: z.string().optional(),
  password: z.string(),
  currency: z.string(),
  mqttUrl: z.string(),
  /** Key for the keyed hash of card numbers (HMAC-SHA256), hex. */
  cardKey: z.string().regex(/^[0-9a-f]{64}$/),
});
export type PairingResponse = z.infer<typeof PairingResponseSchema>;
