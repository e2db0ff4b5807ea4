/**
 * Money is an integer count of the currency's minor unit (ISO 4217).
 * JPY has no minor unit (exponent 0); EUR has cents (exponent 2).
 */

/** ISO 4217 minor-unit exponents for the currencies Code Pay accepts. */
export const CURRENCY_EXPONENTS = {
  JPY: 0,
  KRW: 0,
  EUR: 2,
  USD: 2,
  GBP: 2,
  INR: 2,
  CHF: 2,
  SGD: 2,
  BHD: 3,
  KWD: 3,
} as const;

export type CurrencyCode = keyof typeof CURRENCY_EXPONENTS;

export const CURRENCY_CODES = Object.keys(CURRENCY_EXPONENTS) as CurrencyCode[];

/** Largest amount one payment may carry, in minor units (fits in a JS safe integer and a BIGINT). */
export const AMOUNT_MINOR_MAX = 1_000_000_000_000;

export interface Money {
  readonly minor: number;
  readonly currency: CurrencyCode;
}

export function isCurrencyCode(value: string): value is CurrencyCode {
  return Object.hasOwn(CURRENCY_EXPONENTS, value);
}

/**
 * Parses a decimal amount typed by a person ("12.34", "1200") into minor units.
 * Returns undefined when the text has more decimals than the currency allows or is not a number.
 */
export function parseMajorAmount(text: string, currency: CurrencyCode): number | undefined {
  const exponent = CURRENCY_EXPONENTS[currency];
  const match = /^(\d{1,13})(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  if (fraction.length > exponent) return undefined;
  const minor = Number(whole) * 10 ** exponent + Number(fraction.padEnd(exponent, "0") || "0");
  if (!Number.isSafeInteger(minor) || minor > AMOUNT_MINOR_MAX) return undefined;
  return minor;
}

/** Formats minor units for people: "1,200 JPY" style without locale surprises: "JPY 1200", "EUR 12.34". */
export function formatMoney(money: Money): string {
  return `${money.currency} ${formatMinor(money.minor, money.currency)}`;
}

/** "12.34" for 1234 EUR, "1200" for 1200 JPY. */
export function formatMinor(minor: number, currency: CurrencyCode): string {
  const exponent = CURRENCY_EXPONENTS[currency];
  const sign = minor < 0 ? "-" : "";
  const digits = Math.abs(minor).toString().padStart(exponent + 1, "0");
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
