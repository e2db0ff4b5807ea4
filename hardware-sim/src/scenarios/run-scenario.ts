/**
 * The end-to-end scenario (docs/contracts.md): for each payment, ask the cashier API for a
 * payment, read the code off the simulated display, claim and approve it as the phone, wait
 * for `approved`, and find the receipt naming the payment with its amount on the simulated printer.
 */
import { randomBytes } from "node:crypto";
import { formatMoney, isCurrencyCode } from "@codepay/contract";
import { scenarioPollIntervalMs, scenarioStepTimeoutMs } from "../limits.js";
import { SimPhone } from "../phone/sim-phone.js";
import {
  CashierPaymentEnvelopeSchema, DisplayResponseSchema, FINAL_FAILURE_STATES, PrinterResponseSchema, codeOnDisplay,
  type CashierPayment, type ReceiptSummary,
} from "./cashier-and-sim-shapes.js";
import { pollUntil, requestJson } from "./http-json.js";

export interface ScenarioOptions {
  readonly cashierApiUrl: string;
  readonly simUrl: string;
  readonly gatewayUrl: string;
  readonly subscriberCredential: string;
  readonly payments: number;
  readonly amountMinor: number;
  readonly stepTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly onResult?: (result: PaymentRunResult) => void;
}

export type ScenarioStep = "create" | "code-on-display" | "claim" | "approve" | "approved" | "receipt";

export interface PaymentRunResult {
  readonly index: number;
  readonly paymentId: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly code?: string;
  readonly failedStep?: ScenarioStep;
  readonly message?: string;
  /** The pole display's two lines when the code was read off it. */
  readonly screen?: readonly string[];
  /** The decoded receipt, lines joined by newlines. */
  readonly receiptText?: string;
}

export interface ScenarioSummary {
  readonly results: readonly PaymentRunResult[];
  readonly passed: number;
  readonly failed: number;
  readonly totalMs: number;
  readonly meanLatencyMs: number;
}

class StepFailure extends Error {
  constructor(readonly step: ScenarioStep, message: string) {
    super(message);
  }
}

interface Context {
  readonly options: ScenarioOptions;
  readonly phone: SimPhone;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  lastCode: string | undefined;
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioSummary> {
  const context: Context = {
    options,
    phone: new SimPhone({ gatewayUrl: options.gatewayUrl, subscriberCredential: options.subscriberCredential }),
    timeoutMs: options.stepTimeoutMs ?? scenarioStepTimeoutMs,
    intervalMs: options.pollIntervalMs ?? scenarioPollIntervalMs,
    lastCode: undefined,
  };
  const started = Date.now();
  const results: PaymentRunResult[] = [];
  for (let index = 1; index <= options.payments; index += 1) {
    const result = await runOnePayment(context, index);
    results.push(result);
    options.onResult?.(result);
  }
  const passed = results.filter((result) => result.ok).length;
  const latencies = results.map((result) => result.latencyMs);
  return {
    results, passed, failed: results.length - passed, totalMs: Date.now() - started,
    meanLatencyMs: latencies.length === 0 ? 0 : latencies.reduce((sum, value) => sum + value, 0) / latencies.length,
  };
}

async function runOnePayment(context: Context, index: number): Promise<PaymentRunResult> {
  // Short enough that "PAYMENT <id>" fits one 42-column line (node-thermal-printer word-wraps longer ones).
  const paymentId = `sim-${randomBytes(8).toString("hex")}`;
  const started = Date.now();
  let code: string | undefined;
  try {
    const payment = await createPayment(context, paymentId);
    const shown = await waitForCodeOnDisplay(context, paymentId);
    code = shown.code;
    context.lastCode = code;
    await claimAndApprove(context, paymentId, code);
    await waitForApproved(context, paymentId);
    const receipt = await waitForReceipt(context, payment);
    return { index, paymentId, ok: true, latencyMs: Date.now() - started, code, screen: shown.screen, receiptText: receipt.text };
  } catch (error) {
    const step = error instanceof StepFailure ? error.step : "create";
    const message = error instanceof Error ? error.message : String(error);
    return { index, paymentId, ok: false, latencyMs: Date.now() - started, failedStep: step, message, ...(code ? { code } : {}) };
  }
}

async function createPayment(context: Context, paymentId: string): Promise<CashierPayment> {
  const url = `${context.options.cashierApiUrl}/v1/payments`;
  const response = await requestJson("POST", url, { amountMinor: context.options.amountMinor, paymentId }, context.timeoutMs);
  if (!response.ok) throw new StepFailure("create", response.message);
  const parsed = CashierPaymentEnvelopeSchema.safeParse(response.json);
  if (response.status !== 201 || !parsed.success) {
    throw new StepFailure("create", `POST /v1/payments answered ${response.status}: ${JSON.stringify(response.json)}`);
  }
  return parsed.data.payment;
}

async function getPayment(context: Context, paymentId: string): Promise<CashierPayment | undefined> {
  const response = await requestJson("GET", `${context.options.cashierApiUrl}/v1/payments/${paymentId}`, undefined, context.timeoutMs);
  if (!response.ok) return undefined;
  const parsed = CashierPaymentEnvelopeSchema.safeParse(response.json);
  return parsed.success ? parsed.data.payment : undefined;
}

/** The code on line 2 that belongs to this payment: it equals payment.code when the agent reports one. */
async function waitForCodeOnDisplay(context: Context, paymentId: string): Promise<{ code: string; screen: readonly string[] }> {
  const outcome = await pollUntil<{ code: string; screen: readonly string[] }>(async () => {
    const display = await requestJson("GET", `${context.options.simUrl}/api/display`, undefined, context.timeoutMs);
    const parsed = display.ok ? DisplayResponseSchema.safeParse(display.json) : undefined;
    if (parsed === undefined || !parsed.success) return undefined;
    const screen = parsed.data.lines;
    const shown = codeOnDisplay(screen[1]);
    if (shown === undefined) return undefined;
    const payment = await getPayment(context, paymentId);
    if (payment !== undefined && FINAL_FAILURE_STATES.includes(payment.state)) return { failure: `payment ${payment.state}` };
    const expected = payment?.code?.replace(/[\s-]/g, "");
    if (expected !== undefined ? shown === expected : shown !== context.lastCode) return { value: { code: shown, screen } };
    return undefined;
  }, "the code on the display", context.timeoutMs, context.intervalMs);
  if (!outcome.ok) throw new StepFailure("code-on-display", outcome.message);
  return outcome.value;
}

async function claimAndApprove(context: Context, paymentId: string, code: string): Promise<void> {
  const claim = await context.phone.claim(code);
  if (!claim.ok) throw new StepFailure("claim", `${claim.code} (HTTP ${claim.status}): ${claim.message}`);
  if (claim.value.paymentId !== paymentId) throw new StepFailure("claim", `code ${code} belongs to ${claim.value.paymentId}`);
  if (claim.value.amount.minor !== context.options.amountMinor) throw new StepFailure("claim", `phone shows ${formatMoney(claim.value.amount)}`);
  const approval = await context.phone.approve(paymentId);
  if (!approval.ok) throw new StepFailure("approve", `${approval.code} (HTTP ${approval.status}): ${approval.message}`);
}

async function waitForApproved(context: Context, paymentId: string): Promise<void> {
  const outcome = await pollUntil(async () => {
    const payment = await getPayment(context, paymentId);
    if (payment?.state === "approved") return { value: payment };
    if (payment !== undefined && FINAL_FAILURE_STATES.includes(payment.state)) return { failure: `payment ${payment.state}` };
    return undefined;
  }, "state approved on the cashier API", context.timeoutMs, context.intervalMs);
  if (!outcome.ok) throw new StepFailure("approved", outcome.message);
}

/** The receipt naming `PAYMENT <paymentId>` must show TOTAL and the amount, and carry the paymentId as its QR payload. */
async function waitForReceipt(context: Context, payment: CashierPayment): Promise<ReceiptSummary> {
  const currency = payment.amount.currency;
  if (!isCurrencyCode(currency)) throw new StepFailure("receipt", `unknown currency ${currency}`);
  const amountText = formatMoney({ minor: payment.amount.minor, currency });
  const outcome = await pollUntil<ReceiptSummary>(async () => {
    const printer = await requestJson("GET", `${context.options.simUrl}/api/printer`, undefined, context.timeoutMs);
    const parsed = printer.ok ? PrinterResponseSchema.safeParse(printer.json) : undefined;
    const receipt = parsed?.success ? parsed.data.receipts.find((r) => namesPayment(r.text, payment.paymentId)) : undefined;
    if (receipt === undefined) return undefined;
    const totalLine = receipt.text.split("\n").find((line) => line.includes("TOTAL"));
    if (totalLine === undefined || !totalLine.includes(amountText)) return { failure: `receipt has no "TOTAL ... ${amountText}" line` };
    if (!receipt.qr.includes(payment.paymentId)) return { failure: `receipt QR codes ${JSON.stringify(receipt.qr)} do not hold the paymentId` };
    return { value: receipt };
  }, `the receipt for ${payment.paymentId}`, context.timeoutMs, context.intervalMs);
  if (!outcome.ok) throw new StepFailure("receipt", outcome.message);
  return outcome.value;
}

/** "PAYMENT <id>", allowing the printer (or the library) to have wrapped it onto the next line. */
function namesPayment(receiptText: string, paymentId: string): boolean {
  return receiptText.split(/\s+/).some((word, index, words) => word === paymentId && words[index - 1] === "PAYMENT");
}
