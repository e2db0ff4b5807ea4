/** @codepay/sync-server: the server, and the admin functions other packages use to seed one in-process. */
export { startServer, type RunningServer, type ServerOptions, type ServerPorts } from "./server.js";
export {
  createStore,
  enrollRegister,
  enrollUser,
  topUp,
  balances,
  listPayments,
  accountBalance,
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
export { AdminError } from "./admin/admin-error.js";
export { createLogger, silentLogger, type Logger } from "./logger.js";
export type { Clock } from "./clock.js";
