/**
 * The short form of a payment's ledger reference, for people: the first 8 letters and digits of the
 * reference (a UUID: its first 32 bits), upper case, in two groups of 4 ("4F2A-91C3"). A shopper
 * reads it to a cashier, who finds it at the start of the full reference on the receipt (REF line)
 * and in the cashier panel. Imports nothing: its build (dist/short-reference.js, the package export
 * `./short-reference.js`) is served as it is to the shopper page, so page and server agree.
 */
export const SHORT_REFERENCE_CHARACTERS = 8;

export function shortReference(reference: string): string {
  const characters = reference.replace(/[^A-Za-z0-9]/g, "").slice(0, SHORT_REFERENCE_CHARACTERS).toUpperCase();
  return characters.length <= 4 ? characters : `${characters.slice(0, 4)}-${characters.slice(4)}`;
}
