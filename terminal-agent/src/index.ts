/** The terminal agent's public surface: the composition root and its config. */
export { startAgent } from "./main.js";
export type { AgentDeps, RunningAgent } from "./main.js";
export { loadConfig, parseConfig, AgentConfigSchema } from "./config.js";
export type { AgentConfig, AgentConfigInput, LoadedConfig } from "./config.js";
export type { Clock } from "./clock.js";
export type { SerialBinding } from "./devices/serial-connection.js";
export type { PaymentView, AgentPaymentState } from "./core/payment.js";
export { createLogger } from "./logger.js";
