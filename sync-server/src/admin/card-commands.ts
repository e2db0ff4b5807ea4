/**
 * `admin card enroll --user U --pan <PAN>`: stores HMAC-SHA256(cardKey, PAN) and the last 4 digits.
 * The PAN is never stored, logged or printed (errors say "the card number", not the number).
 */
import { inTransaction } from "../db/database.js";
import { upsertCard } from "../db/repositories/cards.js";
import { findUser } from "../db/repositories/users.js";
import { isCardNumber } from "@codepay/contract";
import { cardToken, loadOrCreateCardKey } from "../cards/card-key.js";
import { AdminError } from "./admin-error.js";
import { withDatabase } from "./admin-commands.js";
import { adminIdempotent } from "./admin-idempotency.js";

export interface EnrollCardOutput {
  readonly userId: string;
  readonly last4: string;
}

export async function enrollCard(input: { readonly dataDir: string; readonly userId: string; readonly pan: string; readonly now?: number; readonly requestId?: string }): Promise<EnrollCardOutput> {
  const pan = input.pan.replace(/[\s-]/g, "");
  if (!isCardNumber(pan)) throw new AdminError("BAD_REQUEST", "the card number must be 12-19 digits with a valid Luhn check digit");
  const token = cardToken(loadOrCreateCardKey(input.dataDir), pan);
  const last4 = pan.slice(-4);
  const now = input.now ?? Date.now();
  return withDatabase(input.dataDir, (db) =>
    // The request hash covers the card's keyed hash, never the PAN itself.
    inTransaction(db, (tx) => adminIdempotent(tx, { requestId: input.requestId, operation: "card enroll", request: { userId: input.userId, token }, now }, async () => {
      if ((await findUser(tx, input.userId)) === undefined) throw new AdminError("NOT_FOUND", `no user ${input.userId}`);
      await upsertCard(tx, { token, userId: input.userId, last4 }, now);
      return { userId: input.userId, last4 };
    })),
  );
}
