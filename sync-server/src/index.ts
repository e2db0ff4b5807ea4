/** @codepay/sync-server public API: the server, and the admin functions a test or harness uses to seed one in-process. The inner pieces a harness composes are in ./parts.ts (@codepay/sync-server/parts). */
export { startServer, type RunningServer, type ServerOptions, type ServerPorts, type ServerHttpsOptions, type ServerOperatorOptions } from "./server.js";
export { operatorFetch, scrapeMetricsText, metricValue, fetchHealth, type OperatorEndpoint } from "./operator/operator-client.js";
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
export type { VerifyReport } from "./ledger/verify.js";
export { AdminError } from "./admin/admin-error.js";
export { createLogger, silentLogger, type Logger } from "./logger.js";
export type { Clock } from "./clock.js";
export { listRegisters, pairRegister, setRegisterEnabled, type PairRegisterOutput } from "./admin/register-commands.js";
export { createOperator, operatorListing, resetOperatorPassword, setOperatorEnabled, type OperatorOutput } from "./admin/operator-commands.js";
export type { RegisterHealthRow } from "./db/repositories/register-presence.js";
export { setUserPin, addCarrier, rotateCarrier } from "./admin/security-commands.js";
export { createTlsCa, issueRegisterCert, issueServerCert, type TlsFiles } from "./admin/tls-commands.js";
export type { ServerTlsOptions } from "./server.js";
export { writeBrokerFiles, writeClusterBrokerFiles, syncBrokerFilesAfterChange, type BrokerFilesInput, type BrokerFilesOutput, type ClusterFilesInput, type ClusterFilesOutput } from "./admin/broker-commands.js";
export type { ServerBrokerOptions, ServerClusterOptions } from "./server.js";
