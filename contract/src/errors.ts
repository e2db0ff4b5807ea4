/**
 * Stable error codes, shared by the dedicated line, the shopper API and the cashier API.
 * Codes are never renamed or reused; add new ones at the end. Documented in README ("Error codes").
 */
export const ERROR_CODES = [
  "MALFORMED_MESSAGE", // payload is not JSON or does not match the schema
  "UNSUPPORTED_VERSION", // protocol version the server does not speak
  "UNKNOWN_REGISTER", // topic names a register the server does not know (also: its row removed while connected)
  "IDEMPOTENCY_MISMATCH", // same requestId with a different body
  "PAYMENT_EXISTS", // paymentId already used for another payment
  "PAYMENT_NOT_FOUND", // unknown paymentId (for this register / phone)
  "CURRENCY_MISMATCH", // store does not take this currency
  "CODE_CHECK_DIGIT", // the typed code fails its check digit: a typo
  "CODE_NOT_FOUND", // no open payment has this code
  "CODE_EXPIRED", // the code's payment expired
  "PAYMENT_CANCELLED", // the register cancelled it
  "PAYMENT_SETTLED", // already approved or declined
  "PAYMENT_CLAIMED", // another phone claimed this code
  "INSUFFICIENT_FUNDS", // the shopper's account cannot cover the amount
  "NO_ACCOUNT", // the shopper has no account in the payment's currency
  "ASSERTION_MISSING", // shopper request without a carrier assertion
  "ASSERTION_INVALID", // bad signature, unknown carrier or malformed
  "ASSERTION_EXPIRED", // assertion older than its lifetime
  "ASSERTION_REPLAYED", // nonce already seen
  "PHONE_UNKNOWN", // the carrier vouches for a phone no user has enrolled
  "SUBSCRIBER_UNKNOWN", // carrier gateway: bad subscriber credential
  "BAD_REQUEST", // HTTP body or parameters do not match the schema
  "NOT_FOUND", // no such route
  "CODE_ALLOCATION_FAILED", // could not find a free code (space exhausted)
  "SERVER_UNAVAILABLE", // cashier API: the line to the server is down
  "INTERNAL", // a bug: logged with details on the server, nothing changed
  // Settlement core and device layer (issues 3 and 4):
  "CARD_UNKNOWN", // no user has enrolled this card (its keyed hash)
  "CARD_EXPIRED", // the card's expiry date has passed
  "CARD_READ_FAILED", // agent: a swipe that failed its checks (sentinel, Luhn, tracks disagree)
  "VOID_NOT_ALLOWED", // only an approved payment of an open period can be voided
  "REFUND_EXCEEDS_ORIGINAL", // refunds and voids of a payment may not exceed its amount
  "PERIOD_CLOSED", // the register's day (Z report) is closed for this payment
  "PIN_REQUIRED", // above the PIN threshold the shopper must enter their PIN
  "PIN_WRONG", // the PIN does not match
  "PHONE_LOCKED", // too many failed attempts from this phone: wait and retry
  "STORE_LOCKED", // too many wrong codes against this store: wait and retry
  "REGISTER_DISABLED", // an operator disabled this register
  "PAIRING_CODE_INVALID", // unknown, used or expired pairing code
  "SANDBOX_FORCED", // sandbox mode: a magic amount forced this outcome
  "SERVER_TIMEOUT", // the server did not answer in time (agent side)
  "RATE_LIMITED", // too many HTTP requests from this address or phone: wait Retry-After
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}
