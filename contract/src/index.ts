/** @codepay/contract: the contract between registers, phones and the sync-server. The server, the agent and the simulator depend on it; it depends on nothing of ours. */
export * from "./money.js";
export * from "./topics.js";
export * from "./errors.js";
export * from "./messages.js";
export * from "./payment-code.js";
export * from "./shopper-api.js";
export * from "./pairing.js";
export * from "./card-number.js";
export * from "./json-duplicate-keys.js";
export * from "./short-reference.js";
export * from "./wallet.js";
export * from "./time-ordered-id.js";
