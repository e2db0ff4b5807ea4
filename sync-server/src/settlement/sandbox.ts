/**
 * Sandbox mode (`serve --sandbox`): like Stripe's test amounts, a few magic amounts (in minor units,
 * any currency) force an outcome so stores and technicians can rehearse every path. Outside sandbox
 * mode they are ordinary amounts.
 *   4000002  declined (reason SANDBOX_FORCED): the phone's approval, or a card payment
 *   4000408  timeout: the approval gets SERVER_TIMEOUT and the payment stays claimed until it expires;
 *            a card payment gets no reply at all
 *   4000500  error: INTERNAL, nothing changes
 */
export const SANDBOX_AMOUNTS = { decline: 4_000_002, timeout: 4_000_408, error: 4_000_500 } as const;
export type SandboxOutcome = keyof typeof SANDBOX_AMOUNTS;

export function sandboxOutcome(sandbox: boolean, amountMinor: number): SandboxOutcome | undefined {
  if (!sandbox) return undefined;
  for (const [outcome, amount] of Object.entries(SANDBOX_AMOUNTS)) if (amount === amountMinor) return outcome as SandboxOutcome;
  return undefined;
}
