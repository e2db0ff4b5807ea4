/**
 * @codepay/terminal-agent/parts: the agent's inner pieces (payment machine and runtime, journal, device
 * codecs, the pole display driver), for @codepay/harness only, which drives them in one process (the
 * deterministic simulation, the fuzz targets, the display bench). Other packages use index.ts.
 */
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
export { buildReportReceipt } from "./protocols/escpos/report-receipt.js";
export { pairAgent } from "./pair-command.js";
export { renderScreen } from "./core/screens.js";
export { SerialPoleDisplay } from "./devices/pole-display.js";
export { openTransport } from "./devices/transport.js";
export { COMMAND_SETS, DISPLAY_MODELS, type DisplayModel } from "./protocols/pole-display/command-sets.js";
export type { Frame } from "./protocols/pole-display/framebuffer.js";
