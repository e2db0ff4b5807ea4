/**
 * Card numbers (PANs) as every part handles them: the Luhn check and the most of a PAN anyone may see.
 * The simulator keeps its own copy on purpose (STYLE "Codecs apart from drivers": the far end of the
 * wire must not share the code it checks).
 */

/** Luhn (ISO/IEC 7812-1 annex B) over 2-19 digits: catches every single-digit error. */
export function luhnValid(digits: string): boolean {
  if (!/^\d{2,19}$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** A card number as issued: 12-19 digits with a valid Luhn check digit. */
export function isCardNumber(pan: string): boolean {
  return /^\d{12,19}$/.test(pan) && luhnValid(pan);
}

/** First 6 / last 4 (PCI DSS 3.4.1: the most a PAN may be shown). */
export function maskPan(pan: string): string {
  if (pan.length <= 10) return "*".repeat(pan.length);
  return pan.slice(0, 6) + "*".repeat(pan.length - 10) + pan.slice(-4);
}
