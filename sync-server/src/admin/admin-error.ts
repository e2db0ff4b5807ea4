import type { ErrorCode } from "@codepay/contract";

/** An admin command the world refused (bad input, missing store): the CLI prints it and exits 1 or 2. */
export class AdminError extends Error {
  override readonly name = "AdminError";
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
