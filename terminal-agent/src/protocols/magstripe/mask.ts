/**
 * Masked summary of a card-reader line. PCI DSS: the PAN is shown at most as its last 4 digits, and
 * track data is never logged or stored. Pure; the raw line never leaves the card-reader driver.
 *   Track 1 (format B): %B<PAN>^<NAME>^<YYMM>...?
 *   Track 2:            ;<PAN>=<YYMM>...?
 */
export interface CardLineSummary {
  readonly kind: "track1" | "track2" | "error" | "unknown";
  /** Last four digits of the PAN, when one was found. */
  readonly last4?: string;
}

export function summarizeCardLine(line: string): CardLineSummary {
  const text = line.replace(/[\x02\x03]/g, "").trim(); // readers may frame a swipe with STX/ETX
  if (text === "E" || /^[%;]E\??$/.test(text)) return { kind: "error" };
  const track1 = /^%B(\d{12,19})\^/.exec(text);
  if (track1) return { kind: "track1", last4: track1[1]!.slice(-4) };
  const track2 = /^;(\d{12,19})=/.exec(text);
  if (track2) return { kind: "track2", last4: track2[1]!.slice(-4) };
  // Anything else may still hold a PAN: report only its last 4 digits.
  const digits = /\d{12,19}/.exec(text);
  return digits ? { kind: "unknown", last4: digits[0].slice(-4) } : { kind: "unknown" };
}

export function describeCardLine(summary: CardLineSummary): string {
  if (summary.kind === "error") return "card swipe unreadable";
  return summary.last4 ? `card swipe received ****${summary.last4}` : "card swipe received (no card number)";
}
