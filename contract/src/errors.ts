/**
 * Stable error codes, shared by the dedicated line, the shopper API and the cashier API.
 * Codes are never renamed or reused; add new ones at the end. Documented in README ("Error codes").
 */
export const ERROR_CODES = [
  "MALFORMED_MESSAGE", // payload is not JSON or does not match the schema
  "UNSUPPORTED_VERSION", // protocol version the server does not speak
  "UNKNOWN_REGISTER", // topic names a register the server does not know (also: its row removed while connected)
  "IDEMPOTENCY_MISMATCH", // same requestId with a different body
  "PAYMENT_EXISTS", // paymentId already used for another payment
  "PAYMENT_NOT_FOUND", // unknown paymentId (for this register / phone)
  "CURRENCY_MISMATCH", // store does not take this currency
  "CODE_CHECK_DIGIT", // the typed code fails its check digit: a typo
  "CODE_NOT_FOUND", // no open payment has this code
  "CODE_EXPIRED", // the code's payment expired
  "PAYMENT_CANCELLED", // the register cancelled it
  "PAYMENT_SETTLED", // already approved or declined
  "PAYMENT_CLAIMED", // another phone claimed this code
  "INSUFFICIENT_FUNDS", // the shopper's account cannot cover the amount
  "NO_ACCOUNT", // the shopper has no account in the payment's currency
  "ASSERTION_MISSING", // shopper request without a carrier assertion
  "ASSERTION_INVALID", // bad signature, unknown carrier or malformed
  "ASSERTION_EXPIRED", // assertion older than its lifetime
  "ASSERTION_REPLAYED", // nonce already seen
  "PHONE_UNKNOWN", // the carrier vouches for a phone no user has enrolled
  "SUBSCRIBER_UNKNOWN", // carrier gateway: bad subscriber credential
  "BAD_REQUEST", // HTTP body or parameters do not match the schema
  "NOT_FOUND", // no such route
  "CODE_ALLOCATION_FAILED", // could not find a free code (space exhausted)
  "SERVER_UNAVAILABLE", // cashier API: the line to the server is down
  "INTERNAL", // a bug: logged with details on the server, nothing changed
  // Settlement core and device layer (issues 3 and 4):
  "CARD_UNKNOWN", // no user has enrolled this card (its keyed hash)
  "CARD_EXPIRED", // the card's expiry date has passed
  "CARD_READ_FAILED", // agent: a swipe that failed its checks (sentinel, Luhn, tracks disagree)
  "VOID_NOT_ALLOWED", // only an approved payment of an open period can be voided
  "REFUND_EXCEEDS_ORIGINAL", // refunds and voids of a payment may not exceed its amount
  "PERIOD_CLOSED", // the register's day (Z report) is closed for this payment
  "PIN_REQUIRED", // above the PIN threshold the shopper must enter their PIN
  "PIN_WRONG", // the PIN does not match
  "PHONE_LOCKED", // too many failed attempts from this phone: wait and retry
  "STORE_LOCKED", // too many wrong codes against this store: wait and retry
  "REGISTER_DISABLED", // an operator disabled this register
  "PAIRING_CODE_INVALID", // unknown, used or expired pairing code
  "SANDBOX_FORCED", // sandbox mode: a magic amount forced this outcome
  "SERVER_TIMEOUT", // the server did not answer in time (agent side)
  "RATE_LIMITED", // too many HTTP requests from this address or phone: wait Retry-After
  // Field devices (issue 16): card-reader swipes and device faults, shown to the cashier and the shopper.
  "CARD_UNREADABLE", // agent: the reader reported a read error and no financial track is usable
  "CARD_TRACK_FORMAT", // agent: a track with a wrong format code, character or layout, and no usable track
  "CARD_LUHN", // agent: the card number fails the Luhn check
  "CARD_TRACKS_DISAGREE", // agent: track 1 and track 2 name different card numbers or expiries
  "CARD_SWIPE_TOO_LONG", // agent: more bytes than any swipe has (line noise), dropped
  "CARD_NO_TRACK", // agent: bytes from the reader that held no track
  "CARD_KEY_MISSING", // agent: card payments are not set up on this register (no card key)
  "CARD_NOT_ARMED", // agent: a good swipe with no card payment waiting for it
  "CARD_LRC_MISMATCH", // agent: STX...ETX framing with an LRC configured: the check byte is missing or wrong
  "PRINTER_PAPER_END", // agent: the receipt printer is out of paper
  "PRINTER_COVER_OPEN", // agent: the receipt printer's cover is open
  "PRINTER_OFFLINE", // agent: the receipt printer reports itself offline (an error, a feed in progress)
  "DEVICE_OFFLINE", // agent: a configured device does not answer (unplugged, cable, power)
  // Database faults (issue 24).
  "STORAGE_FULL", // the disk holding the database (server) or the journal (agent) is full: nothing changed, retry later
  // Operator listener (issues 18 and 20): /metrics, /health and the operator console.
  "OPERATOR_UNAUTHORIZED", // operator listener: missing or wrong bearer token, or no signed-in operator
  // The cashier's day (issue 17):
  "PAYMENT_IN_PROGRESS", // cashier API and payment.create: another payment is still open on this register (cancel it, or send replace: true)
  "NO_RECEIPT", // cashier API: a copy was asked of a payment that has no receipt (it is not approved)
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** What a person reads for a code: short words in their language; the code itself goes in small print. */
export interface ErrorWords {
  readonly en: string;
  readonly ja: string;
}

/** Words for every code, for the cashier panel, the pole display's messages and the shopper's phone. */
export const ERROR_WORDS: Readonly<Record<ErrorCode, ErrorWords>> = {
  MALFORMED_MESSAGE: { en: "The message could not be read", ja: "メッセージを読み取れません" },
  UNSUPPORTED_VERSION: { en: "This version is not supported; update the software", ja: "このバージョンには対応していません。ソフトウェアを更新してください" },
  UNKNOWN_REGISTER: { en: "This register is not registered with Code Pay", ja: "このレジは登録されていません" },
  IDEMPOTENCY_MISMATCH: { en: "The same request was sent with different contents", ja: "同じ要求が異なる内容で送られました" },
  PAYMENT_EXISTS: { en: "This payment already exists", ja: "この決済はすでにあります" },
  PAYMENT_NOT_FOUND: { en: "Payment not found", ja: "決済が見つかりません" },
  CURRENCY_MISMATCH: { en: "This store does not take this currency", ja: "この店舗ではこの通貨は使えません" },
  CODE_CHECK_DIGIT: { en: "The code has a typo; check it and type it again", ja: "コードに誤りがあります。確認して入力し直してください" },
  CODE_NOT_FOUND: { en: "No payment has this code", ja: "このコードの決済はありません" },
  CODE_EXPIRED: { en: "The code has expired", ja: "コードの有効期限が切れました" },
  PAYMENT_CANCELLED: { en: "The payment was cancelled", ja: "決済は取り消されました" },
  PAYMENT_SETTLED: { en: "The payment is already finished", ja: "決済はすでに完了しています" },
  PAYMENT_CLAIMED: { en: "Another phone is paying this code", ja: "別の端末がこのコードで支払い中です" },
  INSUFFICIENT_FUNDS: { en: "Not enough balance", ja: "残高が足りません" },
  NO_ACCOUNT: { en: "No account in this currency", ja: "この通貨の口座がありません" },
  ASSERTION_MISSING: { en: "The phone could not be identified", ja: "端末を確認できません" },
  ASSERTION_INVALID: { en: "The phone could not be identified", ja: "端末を確認できません" },
  ASSERTION_EXPIRED: { en: "The phone's sign-in has expired; try again", ja: "端末の認証が期限切れです。もう一度お試しください" },
  ASSERTION_REPLAYED: { en: "This request was already used; try again", ja: "この要求はすでに使われました。もう一度お試しください" },
  PHONE_UNKNOWN: { en: "This phone is not registered", ja: "この端末は登録されていません" },
  SUBSCRIBER_UNKNOWN: { en: "The carrier does not know this subscriber", ja: "通信事業者の契約が確認できません" },
  BAD_REQUEST: { en: "The request is not valid", ja: "要求の内容が正しくありません" },
  NOT_FOUND: { en: "Not found", ja: "見つかりません" },
  CODE_ALLOCATION_FAILED: { en: "No code is free right now; try again", ja: "現在コードを発行できません。もう一度お試しください" },
  SERVER_UNAVAILABLE: { en: "No connection to the Code Pay server; take another payment method", ja: "サーバーに接続できません。別のお支払い方法をご利用ください" },
  INTERNAL: { en: "Something went wrong; nothing was changed", ja: "エラーが発生しました。変更はありません" },
  CARD_UNKNOWN: { en: "This card is not registered with Code Pay", ja: "このカードは登録されていません" },
  CARD_EXPIRED: { en: "The card has expired", ja: "カードの有効期限が切れています" },
  CARD_READ_FAILED: { en: "The card could not be read; swipe again", ja: "カードを読み取れません。もう一度通してください" },
  VOID_NOT_ALLOWED: { en: "This payment can no longer be voided", ja: "この決済は取り消しできません" },
  REFUND_EXCEEDS_ORIGINAL: { en: "The refund is more than the payment", ja: "返金額が決済額を超えています" },
  PERIOD_CLOSED: { en: "The day is already closed for this payment", ja: "この決済の営業日は締められています" },
  PIN_REQUIRED: { en: "Enter the PIN", ja: "暗証番号を入力してください" },
  PIN_WRONG: { en: "Wrong PIN", ja: "暗証番号が違います" },
  PHONE_LOCKED: { en: "Too many attempts; wait and try again", ja: "試行回数が多すぎます。しばらく待ってからお試しください" },
  STORE_LOCKED: { en: "Too many wrong codes at this store; wait and try again", ja: "誤ったコードが多すぎます。しばらく待ってからお試しください" },
  REGISTER_DISABLED: { en: "This register is disabled", ja: "このレジは停止されています" },
  PAIRING_CODE_INVALID: { en: "The pairing code is not valid", ja: "ペアリングコードが正しくありません" },
  SANDBOX_FORCED: { en: "Test mode: result set by the amount", ja: "テストモード: 金額で結果が決まりました" },
  SERVER_TIMEOUT: { en: "The server has not answered yet; it will be asked again", ja: "サーバーの応答待ちです。再度問い合わせます" },
  RATE_LIMITED: { en: "Too many requests; wait a moment", ja: "要求が多すぎます。少し待ってください" },
  CARD_UNREADABLE: { en: "The card could not be read; swipe again", ja: "カードを読み取れません。もう一度通してください" },
  CARD_TRACK_FORMAT: { en: "This card's stripe is not a payment card's; swipe again or use another card", ja: "カードの磁気情報が正しくありません。もう一度通すか別のカードをご利用ください" },
  CARD_LUHN: { en: "The card number is not valid; swipe again", ja: "カード番号が正しくありません。もう一度通してください" },
  CARD_TRACKS_DISAGREE: { en: "The card gave two different readings; swipe again", ja: "カードの読み取り結果が一致しません。もう一度通してください" },
  CARD_SWIPE_TOO_LONG: { en: "Noise from the card reader; swipe again", ja: "カードリーダーの信号が乱れました。もう一度通してください" },
  CARD_NO_TRACK: { en: "No card data; swipe again", ja: "カード情報がありません。もう一度通してください" },
  CARD_KEY_MISSING: { en: "Card payments are not set up on this register", ja: "このレジではカード決済が設定されていません" },
  CARD_NOT_ARMED: { en: "Start a card payment first, then swipe", ja: "カード決済を開始してからカードを通してください" },
  CARD_LRC_MISMATCH: { en: "The card reader's data was damaged; swipe again", ja: "カードリーダーのデータが壊れています。もう一度通してください" },
  PRINTER_PAPER_END: { en: "The printer is out of paper: load a new roll", ja: "レシート用紙がありません。用紙を補充してください" },
  PRINTER_COVER_OPEN: { en: "The printer cover is open: close it", ja: "プリンターのカバーが開いています。閉じてください" },
  PRINTER_OFFLINE: { en: "The printer is offline: check it", ja: "プリンターがオフラインです。確認してください" },
  DEVICE_OFFLINE: { en: "A device is not connected: check its cable and power", ja: "機器が接続されていません。ケーブルと電源を確認してください" },
  STORAGE_FULL: { en: "Storage is full: no new payments for now; take another payment method and call support", ja: "保存領域がいっぱいです。新しい決済はできません。別のお支払い方法をご利用のうえ、サポートに連絡してください" },
  OPERATOR_UNAUTHORIZED: { en: "Sign in first", ja: "サインインしてください" },
  PAYMENT_IN_PROGRESS: { en: "Another payment is still open: cancel it first", ja: "別の決済が進行中です。先に取り消してください" },
  NO_RECEIPT: { en: "This payment has no receipt to print again", ja: "この決済には再発行できるレシートがありません" },
};
