/**
 * Stable error codes of the terminal agent. Never renamed or reused; add new ones at the end.
 * Codes that cross the cashier API or the dedicated line come from the protocol (`ErrorCode`);
 * these are the agent's own operating errors (devices, config, journal).
 */
export const AGENT_ERROR_CODES = [
  "CONFIG_UNREADABLE", // the config file cannot be read or is not JSON
  "CONFIG_INVALID", // the config file does not match the schema
  "DEVICE_OFFLINE", // a write to a device that is not open
  "DEVICE_WRITE_TIMEOUT", // a device did not drain a write in time
  "DEVICE_WRITE_FAILED", // the port or socket reported a write error
  "DEVICE_QUEUE_FULL", // too many writes queued for a slow device
  "CARD_LINE_TOO_LONG", // a card-reader line passed cardLineBytesMax: resynced
  "LINK_DOWN", // the MQTT line to the server is down
] as const;

export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string) {
    super(message);
    this.name = "AgentError";
    this.code = code;
  }
}
