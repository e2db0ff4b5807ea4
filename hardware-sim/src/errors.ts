/**
 * The simulator's own failure codes (the server's codes come from @codepay/contract).
 * Never renamed; add new ones at the end.
 */
export const SIM_ERROR_CODES = [
  "GATEWAY_UNREACHABLE", // the phone could not reach the carrier gateway (connection refused, timeout)
  "RESPONSE_INVALID", // the gateway answered with a body that does not match the contract
] as const;

export type SimErrorCode = (typeof SIM_ERROR_CODES)[number];
