/**
 * Client-made ids for requests and payments: time-ordered UUIDs (contract's newTimeOrderedId; they fit
 * the protocol's ClientIdSchema), so the server's idempotency keys and the register's payment ids
 * arrive in order and land on the last page of their indexes (issue 14).
 */
export { newTimeOrderedId as newClientId } from "@codepay/contract";
