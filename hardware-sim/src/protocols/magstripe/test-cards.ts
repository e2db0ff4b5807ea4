/** Well-known Luhn-valid test cards (issuers publish them for testing; they move no money). */

export type TestCardName = "visa" | "mastercard";
export type SwipeCardName = TestCardName | "bad";

export interface TestCard {
  readonly pan: string;
  readonly name: string; // Track 1 name field: SURNAME/GIVEN
  readonly expiry: string; // YYMM
  readonly serviceCode: string; // 3 digits; 101 = international, normal authorization, no restrictions
  readonly discretionary: string;
}

export const TEST_CARDS: Readonly<Record<TestCardName, TestCard>> = {
  visa: { pan: "4111111111111111", name: "TEST/VISA", expiry: "3012", serviceCode: "101", discretionary: "0000000000" },
  mastercard: { pan: "5555555555554444", name: "TEST/MASTERCARD", expiry: "3012", serviceCode: "101", discretionary: "0000000000" },
};

export const SWIPE_CARD_NAMES: readonly SwipeCardName[] = ["visa", "mastercard", "bad"];

export function isSwipeCardName(value: unknown): value is SwipeCardName {
  return typeof value === "string" && (SWIPE_CARD_NAMES as readonly string[]).includes(value);
}
