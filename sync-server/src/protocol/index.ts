/** The contract between registers, phones and the sync-server. The agent and the simulator import it from here. */
export * from "./money.js";
export * from "./topics.js";
export * from "./errors.js";
export * from "./messages.js";
export * from "./payment-code.js";
export * from "./shopper-api.js";
export * from "./pairing.js";
