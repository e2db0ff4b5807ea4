/** @codepay/sync-server: the server, and the admin functions other packages use to seed one in-process. */
export { startServer, type RunningServer, type ServerOptions, type ServerPorts, type ServerHttpsOptions } from "./server.js";
export {
  createStore,
  enrollRegister,
  enrollUser,
  topUp,
  balances,
  listPayments,
  accountBalance,
  verify,
  type CreateStoreInput,
  type StoreOutput,
  type EnrollRegisterInput,
  type EnrollRegisterOutput,
  type EnrollUserInput,
  type EnrollUserOutput,
  type TopUpInput,
  type TopUpOutput,
  type BalancesOutput,
  type PaymentListing,
} from "./admin/admin-commands.js";
export { demoSeed, DEMO, type DemoSeedOutput } from "./admin/demo-seed.js";
export { enrollCard, type EnrollCardOutput } from "./admin/card-commands.js";
export { cardToken, loadOrCreateCardKey } from "./cards/card-key.js";
export type { VerifyReport } from "./ledger/verify.js";
export { AdminError } from "./admin/admin-error.js";
export { createLogger, silentLogger, type Logger } from "./logger.js";
export type { Clock } from "./clock.js";
// Reliability harnesses (hardware-sim/src/reliability): the pure cores and the settlement path, to run in one process.
export { openDatabase, inTransaction, type Db } from "./db/database.js";
export { RequestRouter } from "./broker/request-router.js";
export { BatchEngine, createBatchEngine } from "./engine/batch-engine.js";
export type { RegisterLine, RequestListener, OnlineListener } from "./broker/register-line.js";
export { ResultDelivery, sweepExpiredPayments } from "./settlement/result-delivery.js";
export { claimCode, approvePayment, declinePayment, type ShopperResult } from "./settlement/shopper-requests.js";
export type { SettlementContext } from "./settlement/context.js";
export type { RegisterAddress } from "./settlement/register-requests.js";
export { findPhone, type PhoneRow } from "./db/repositories/users.js";
export { limits as serverLimits } from "./limits.js";
export { buildShopperApp } from "./shopper-api/app.js";
export { ShopperOperations } from "./shopper-api/shopper-operations.js";
export { PhoneAuthenticator } from "./shopper-api/phone-authentication.js";
export { NonceCache } from "./shopper-api/nonce-cache.js";
export { ensureCarrier, DEFAULT_CARRIER_ID } from "./carrier-gateway/carrier-keys.js";
export { signPhoneAssertion, newAssertionNonce } from "./carrier-gateway/phone-assertion.js";
export { DEFAULT_GUESS_POLICY, type GuessPolicy } from "./payments/guess-policy.js";
export { pairRegister, setRegisterEnabled, type PairRegisterOutput } from "./admin/register-commands.js";
export { setUserPin, addCarrier, rotateCarrier } from "./admin/security-commands.js";
export { createTlsCa, issueRegisterCert, issueServerCert, type TlsFiles } from "./admin/tls-commands.js";
export type { ServerTlsOptions } from "./server.js";
export { writeBrokerFiles, syncBrokerFilesAfterChange, type BrokerFilesInput, type BrokerFilesOutput } from "./admin/broker-commands.js";
export { BrokerFilesSync, rewriteBrokerAccessFiles, syncBrokerFiles, reloadBroker, type BrokerFilesOptions, type BrokerReload, type BrokerAccessFiles } from "./broker/broker-files-sync.js";
export type { ServerBrokerOptions } from "./server.js";
export { ExternalRegisterLine, SHARE_GROUP_DEFAULT, type ExternalBrokerOptions } from "./broker/external-register-line.js";
export { mosquittoPasswordHash, verifyMosquittoPassword } from "./auth/mosquitto-password.js";
export { SharedNonceStore } from "./shopper-api/shared-nonce-store.js";
export { hashPassword } from "./auth/password-hash.js";
export { hashRegisterPassword, type RegisterKey } from "./auth/register-password.js";
export { loadOrCreateRegisterKey, registerKeyPath } from "./auth/register-key.js";
