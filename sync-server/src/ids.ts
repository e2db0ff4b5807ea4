/**
 * Server-made ids (transfers, accounts, results): time-ordered UUIDs (contract's newTimeOrderedId), so
 * each new transfer, audit entry and outbox row lands on the last page of its primary-key index.
 */
export { newTimeOrderedId as newId } from "@codepay/contract";
