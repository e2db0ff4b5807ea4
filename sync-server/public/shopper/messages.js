// What the shopper page says, in English and Japanese. `{name}` is filled in by `say`.
export const MESSAGES = {
  en: {
    title: "Code Pay",
    phoneTitle: "Demo phone",
    phoneExplain: "A real carrier identifies your phone on its network. In this demo, enter the phone's subscriber credential once (npm start prints a link that includes it).",
    phoneLabel: "Subscriber credential",
    phoneSave: "Use this phone",
    phoneMissing: "Enter the credential first.",
    codeTitle: "Pay with a code",
    codeLabel: "Code on the register's display",
    keypad: "Number keypad",
    clear: "Clear the code",
    backspace: "Delete the last digit",
    continue: "Continue",
    hintEmpty: "Type the {count} digits shown on the register's display.",
    hintPartial: "{count} more digits.",
    hintPartialOne: "1 more digit.",
    checkValid: "✓ The code looks right.",
    checkTypo: "✗ This code has a typo: the last digit does not match. Check each digit.",
    confirmTitle: "Check and approve",
    store: "Store",
    register: "Register",
    amount: "Amount",
    expiresIn: "The code expires in {time}.",
    expiredNow: "The code has expired.",
    pinLabel: "PIN",
    pinHint: "This amount needs your PIN.",
    pinNeeded: "Enter your PIN to approve this amount.",
    pinWrong: "Wrong PIN. Try again.",
    approve: "Approve",
    decline: "Decline",
    working: "One moment…",
    approvedTitle: "Paid",
    approvedDetail: "{store} has your payment. Reference {reference}.",
    declinedByYou: "Payment declined",
    declinedByYouDetail: "You declined. Nothing was paid.",
    declinedTitle: "Payment declined",
    declinedFunds: "Your balance does not cover this amount. Nothing was paid.",
    expiredTitle: "Code expired",
    expiredDetail: "Ask the cashier for a new code.",
    cancelledTitle: "Payment cancelled",
    cancelledDetail: "The register cancelled this payment. Nothing was paid.",
    settledTitle: "Already paid",
    settledDetail: "This payment is already finished.",
    claimedTitle: "Code in use",
    claimedDetail: "Another phone entered this code. Ask the cashier for a new one.",
    lockedTitle: "Too many attempts",
    lockedDetail: "Wait a few minutes, then try again.",
    lockedDetailIn: "Try again in {time}.",
    busyTitle: "Too many requests",
    wrongCode: "No payment has this code. Check the display and try again.",
    typoCode: "This code has a typo. Check each digit.",
    phoneUnknown: "The carrier does not recognise this phone. Enter the credential again.",
    noGateway: "Open this page through the carrier gateway.",
    failed: "Something went wrong. Nothing was paid; try again.",
    again: "Pay another code",
  },
  ja: {
    title: "コードペイ",
    phoneTitle: "デモ用の電話",
    phoneExplain: "実際には携帯電話会社がネットワークで電話を識別します。このデモでは、電話の加入者認証情報を一度だけ入力してください（npm start が表示するリンクに含まれています）。",
    phoneLabel: "加入者認証情報",
    phoneSave: "この電話を使う",
    phoneMissing: "先に認証情報を入力してください。",
    codeTitle: "コードで支払う",
    codeLabel: "レジの表示のコード",
    keypad: "数字キーパッド",
    clear: "コードを消去",
    backspace: "最後の数字を削除",
    continue: "次へ",
    hintEmpty: "レジの表示にある {count} 桁の数字を入力してください。",
    hintPartial: "あと {count} 桁です。",
    hintPartialOne: "あと 1 桁です。",
    checkValid: "✓ コードは正しい形式です。",
    checkTypo: "✗ 入力ミスがあります。最後の数字が合いません。各数字を確認してください。",
    confirmTitle: "確認して承認",
    store: "店舗",
    register: "レジ",
    amount: "金額",
    expiresIn: "コードの有効期限まで {time}。",
    expiredNow: "コードの有効期限が切れました。",
    pinLabel: "暗証番号",
    pinHint: "この金額には暗証番号が必要です。",
    pinNeeded: "この金額を承認するには暗証番号を入力してください。",
    pinWrong: "暗証番号が違います。もう一度入力してください。",
    approve: "承認する",
    decline: "断る",
    working: "処理中…",
    approvedTitle: "支払いました",
    approvedDetail: "{store} への支払いが完了しました。参照番号 {reference}。",
    declinedByYou: "支払いを断りました",
    declinedByYouDetail: "支払いは行われていません。",
    declinedTitle: "支払いできませんでした",
    declinedFunds: "残高が足りません。支払いは行われていません。",
    expiredTitle: "コードの期限切れ",
    expiredDetail: "レジで新しいコードをもらってください。",
    cancelledTitle: "支払いは取り消されました",
    cancelledDetail: "レジがこの支払いを取り消しました。支払いは行われていません。",
    settledTitle: "支払い済み",
    settledDetail: "この支払いはすでに終わっています。",
    claimedTitle: "使用中のコード",
    claimedDetail: "別の電話がこのコードを入力しました。レジで新しいコードをもらってください。",
    lockedTitle: "試行回数が多すぎます",
    lockedDetail: "数分待ってからもう一度お試しください。",
    lockedDetailIn: "{time}後にもう一度お試しください。",
    busyTitle: "リクエストが多すぎます",
    wrongCode: "このコードの支払いはありません。表示を確認してもう一度入力してください。",
    typoCode: "コードに入力ミスがあります。各数字を確認してください。",
    phoneUnknown: "携帯電話会社がこの電話を認識できません。認証情報をもう一度入力してください。",
    noGateway: "このページは携帯電話会社のゲートウェイ経由で開いてください。",
    failed: "問題が発生しました。支払いは行われていません。もう一度お試しください。",
    again: "別のコードで支払う",
  },
};

/** The message `key` in `language` with `{name}` placeholders filled from `values`. */
export function say(language, key, values = {}) {
  const table = MESSAGES[language] ?? MESSAGES.en;
  const text = table[key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

/** Minor units as money in the page's language: 1200 JPY -> "¥1,200" / "￥1,200". */
export function formatAmount(language, amount) {
  const locale = language === "ja" ? "ja-JP" : "en-US";
  const format = new Intl.NumberFormat(locale, { style: "currency", currency: amount.currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 0;
  return format.format(amount.minor / 10 ** digits);
}

/** A wait in whole seconds, as the server's Retry-After gives it: "45 s", "2 min 30 s" / "45秒", "2分30秒". */
export function formatWait(language, seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (language === "ja") return `${minutes > 0 ? `${minutes}分` : ""}${rest > 0 || minutes === 0 ? `${rest}秒` : ""}`;
  return [minutes > 0 ? `${minutes} min` : "", rest > 0 || minutes === 0 ? `${rest} s` : ""].filter((part) => part !== "").join(" ");
}
