/** The terminal agent's public surface: the composition root and its config. */
export { startAgent } from "./main.js";
export type { AgentDeps, RunningAgent } from "./main.js";
export { loadConfig, parseConfig, AgentConfigSchema } from "./config.js";
export type { AgentConfig, AgentConfigInput, LoadedConfig } from "./config.js";
export type { Clock } from "./clock.js";
export type { SerialBinding } from "./devices/serial-connection.js";
export type { PaymentView, AgentPaymentState } from "./core/payment.js";
export { createLogger } from "./logger.js";
// Reliability harnesses (hardware-sim/src/reliability): the payment shell and journal, driven in one process.
export { PaymentRuntime, type RequestSender, type PaymentRuntimeOptions } from "./shell/payment-runtime.js";
export { Journal } from "./journal/journal.js";
export { transition as agentTransition } from "./core/payment-machine.js";
export type { Payment } from "./core/payment.js";
export type { ReceiptPrinter } from "./devices/device.js";
export type { ReceiptData } from "./protocols/escpos/receipt.js";
export * as agentLimits from "./core/limits.js";
export { AgentError } from "./core/errors.js";
export { initialReplyDecoder, askedRealTime, decodeReplies, applyReply, UNKNOWN_STATUS } from "./protocols/escpos/printer-status.js";
export { emptyAssembly, pushSwipeBytes, endSwipe, checkSwipe } from "./protocols/magstripe/swipe.js";
export { buildReceipt } from "./protocols/escpos/receipt.js";
