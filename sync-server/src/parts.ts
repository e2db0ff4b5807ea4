/**
 * @codepay/sync-server/parts: the server's inner pieces (database, settlement path, shopper API pieces,
 * broker-file sync), for @codepay/harness only, which composes them in one process for the deterministic
 * simulation, the fuzz targets and the benches. Other packages use the public API in index.ts.
 */
export { cardToken, loadOrCreateCardKey } from "./cards/card-key.js";
export { openDatabase, inTransaction, type Db } from "./db/database.js";
export { RequestRouter } from "./broker/request-router.js";
export { BatchEngine, createBatchEngine } from "./engine/batch-engine.js";
export type { RegisterLine, RequestListener, OnlineListener } from "./broker/register-line.js";
export { ResultDelivery, sweepExpiredPayments } from "./settlement/result-delivery.js";
export { claimCode, approvePayment, declinePayment, type ShopperResult } from "./settlement/shopper-requests.js";
export type { SettlementContext } from "./settlement/context.js";
export type { RegisterAddress } from "./settlement/register-address.js";
export { findPhone, type PhoneRow } from "./db/repositories/users.js";
export { limits as serverLimits } from "./limits.js";
export { buildShopperApp } from "./shopper-api/app.js";
export { ShopperOperations } from "./shopper-api/shopper-operations.js";
export { PhoneAuthenticator } from "./shopper-api/phone-authentication.js";
export { NonceCache } from "./shopper-api/nonce-cache.js";
export { ensureCarrier, DEFAULT_CARRIER_ID } from "./carrier-gateway/carrier-keys.js";
export { signPhoneAssertion, newAssertionNonce } from "./carrier-gateway/phone-assertion.js";
export { DEFAULT_GUESS_POLICY, type GuessPolicy } from "./payments/guess-policy.js";
export { BrokerFilesSync, rewriteBrokerAccessFiles, syncBrokerFiles, reloadBroker, type BrokerFilesOptions, type BrokerReload, type BrokerAccessFiles } from "./broker/broker-files-sync.js";
export { ExternalRegisterLine, SHARE_GROUP_DEFAULT, type ExternalBrokerOptions } from "./broker/external-register-line.js";
export { NatsRegisterLine, type ClusterBrokerOptions } from "./broker/nats-register-line.js";
export { renderNatsNodeConfig, renderNatsAuthorization, natsSubject, certificateUser, registerAccountIndex, registerAccountName, deliverSubject, type ClusterNode, type ClusterNodeFiles } from "./broker/nats-cluster-files.js";
export { mosquittoPasswordHash, verifyMosquittoPassword } from "./auth/mosquitto-password.js";
export { SharedNonceStore } from "./shopper-api/shared-nonce-store.js";
export { hashPassword } from "./auth/password-hash.js";
export { hashRegisterPassword, type RegisterKey } from "./auth/register-password.js";
export { loadOrCreateRegisterKey, registerKeyPath } from "./auth/register-key.js";
export { walletPaymentsPage, walletPayment, walletReversals, walletBalances, type WalletPageKey } from "./db/repositories/wallet.js";
