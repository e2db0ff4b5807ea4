/**
 * Property: any sequence of pay, claim, approve, decline, cancel, void, refund, duplicate retries,
 * expiry and concurrent claims or approvals of one code keeps every ledger invariant, and
 * `admin verify` passes after each sequence. Runs the real server (MQTT, HTTP) on SQLite and on
 * PostgreSQL; fast-check shrinks a failing sequence to a short one.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balances, enrollUser, topUp, verify } from "../../src/index.js";
import type { ServerMessage } from "@codepay/contract";
import { newPaymentId } from "../helpers/pay.js";
import { PhoneClient, type HttpReply } from "../helpers/phone-client.js";
import { dialectsUnderTest, stopPostgres } from "../helpers/postgres.js";
import { newRequestId, RegisterClient } from "../helpers/register-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const CODE_TTL_MS = 60_000;

type Op =
  | { kind: "create"; amount: number }
  | { kind: "pay"; amount: number; phone: 0 | 1 }
  | { kind: "claim"; target: number; phone: 0 | 1 }
  | { kind: "approve"; target: number; phone: 0 | 1 }
  | { kind: "decline"; target: number; phone: 0 | 1 }
  | { kind: "cancel"; target: number }
  | { kind: "void"; target: number }
  | { kind: "refund"; target: number; amount: number; reuseRefundId: boolean }
  | { kind: "retry"; target: number }
  | { kind: "expire" }
  | { kind: "concurrentClaims"; amount: number }
  | { kind: "concurrentApprovals"; amount: number };

const amount = fc.integer({ min: 1, max: 3_000 });
const target = fc.nat({ max: 20 });
const phoneIndex = fc.constantFrom<0 | 1>(0, 1);
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), amount }),
  fc.record({ kind: fc.constant("pay" as const), amount, phone: phoneIndex }),
  fc.record({ kind: fc.constant("claim" as const), target, phone: phoneIndex }),
  fc.record({ kind: fc.constant("approve" as const), target, phone: phoneIndex }),
  fc.record({ kind: fc.constant("decline" as const), target, phone: phoneIndex }),
  fc.record({ kind: fc.constant("cancel" as const), target }),
  fc.record({ kind: fc.constant("void" as const), target }),
  fc.record({ kind: fc.constant("refund" as const), target, amount, reuseRefundId: fc.boolean() }),
  fc.record({ kind: fc.constant("retry" as const), target }),
  fc.record({ kind: fc.constant("expire" as const) }),
  fc.record({ kind: fc.constant("concurrentClaims" as const), amount }),
  fc.record({ kind: fc.constant("concurrentApprovals" as const), amount }),
);

interface Tracked {
  paymentId: string;
  code: string;
  refundIds: string[];
}

/** A request already sent once, to send again with the same id and body. */
type Sent = { register: Record<string, unknown> } | { phone: 0 | 1; path: string; body: Record<string, unknown>; first: HttpReply };

afterAll(stopPostgres);

for (const dialect of dialectsUnderTest()) {
  describe(`ledger properties (${dialect})`, () => {
    let t: TestServer;
    let register: RegisterClient;
    let phones: [PhoneClient, PhoneClient];

    beforeAll(async () => {
      // Guessing limits stay off (the helper's default): here they would only turn claims into PHONE_LOCKED.
      t = await startTestServer({ dialect, codeTtlMs: CODE_TTL_MS, sweepIntervalMs: 20 });
      register = await RegisterClient.connect(t.server.mqttUrl, t.demo.storeId, t.demo.registerId, t.demo.password);
      const second = await enrollUser({ dataDir: t.dataDir, userId: "second-shopper", name: "Second", phoneId: "+810000000077" });
      // Little money: some approvals must fail for insufficient funds.
      await topUp({ dataDir: t.dataDir, userId: "second-shopper", amountMinor: 4_000, currency: "JPY", requestId: "second-topup" });
      phones = [new PhoneClient(t.server.gatewayUrl, t.demo.subscriberCredential), new PhoneClient(t.server.gatewayUrl, second.subscriberCredential)];
    });

    afterAll(async () => {
      expect(register.unparsable).toEqual([]);
      await register.close();
      await t.stop();
    });

    async function run(ops: readonly Op[]): Promise<void> {
      const tracked: Tracked[] = [];
      const sent: Sent[] = [];
      const pick = (index: number): Tracked | undefined => (tracked.length === 0 ? undefined : tracked[index % tracked.length]);
      const registerRequest = async (body: Record<string, unknown>): Promise<ServerMessage> => {
        const withId = { ...body, requestId: newRequestId() };
        sent.push({ register: withId });
        return register.request(withId);
      };
      const phonePost = async (phone: 0 | 1, path: string, body: Record<string, unknown>): Promise<HttpReply> => {
        const reply = await phones[phone].post(path, body);
        sent.push({ phone, path, body, first: reply });
        return reply;
      };
      const create = async (amountMinor: number): Promise<Tracked | undefined> => {
        const reply = await registerRequest({ type: "payment.create", paymentId: newPaymentId("prop"), amount: { minor: amountMinor, currency: "JPY" } });
        if (reply.type !== "payment.issued") return undefined;
        const entry = { paymentId: reply.paymentId, code: reply.code, refundIds: [] };
        tracked.push(entry);
        return entry;
      };
      const claim = (p: Tracked, phone: 0 | 1) => phonePost(phone, "/api/v1/claims", { requestId: newRequestId(), code: p.code });
      const approve = (p: Tracked, phone: 0 | 1) => phonePost(phone, `/api/v1/payments/${p.paymentId}/approve`, { requestId: newRequestId() });

      for (const op of ops) {
        switch (op.kind) {
          case "create":
            await create(op.amount);
            break;
          case "pay": {
            const p = await create(op.amount);
            if (p !== undefined && (await claim(p, op.phone)).status === 200) await approve(p, op.phone);
            break;
          }
          case "claim":
          case "approve":
          case "decline": {
            const p = pick(op.target);
            if (p === undefined) break;
            if (op.kind === "claim") await claim(p, op.phone);
            else await phonePost(op.phone, `/api/v1/payments/${p.paymentId}/${op.kind}`, { requestId: newRequestId() });
            break;
          }
          case "cancel":
          case "void": {
            const p = pick(op.target);
            if (p !== undefined) await registerRequest({ type: op.kind === "cancel" ? "payment.cancel" : "payment.void", paymentId: p.paymentId });
            break;
          }
          case "refund": {
            const p = pick(op.target);
            if (p === undefined) break;
            const reuse = op.reuseRefundId && p.refundIds.length > 0;
            const refundId = reuse ? (p.refundIds[p.refundIds.length - 1] as string) : newRequestId();
            if (!reuse) p.refundIds.push(refundId);
            const reply = await registerRequest({ type: "refund.create", paymentId: p.paymentId, refundId, amount: { minor: op.amount, currency: "JPY" } });
            if (reply.type === "refund.result") expect(reply.reversedTotalMinor).toBeGreaterThanOrEqual(reply.amount.minor);
            break;
          }
          case "retry": {
            const previous = sent.length === 0 ? undefined : sent[op.target % sent.length];
            if (previous === undefined) break;
            if ("register" in previous) {
              await register.request(previous.register);
            } else {
              // A phone's retry gets exactly the stored reply.
              expect(await phones[previous.phone].post(previous.path, previous.body)).toEqual(previous.first);
            }
            break;
          }
          case "expire":
            t.advance(CODE_TTL_MS);
            break;
          case "concurrentClaims": {
            const p = await create(op.amount);
            if (p === undefined) break;
            const replies = await Promise.all([claim(p, 0), claim(p, 1)]);
            // One code, two phones at once: exactly one claim wins.
            expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
            break;
          }
          case "concurrentApprovals": {
            const p = await create(op.amount);
            if (p === undefined || (await claim(p, 0)).status !== 200) break;
            const replies = await Promise.all([approve(p, 0), approve(p, 0), approve(p, 0)]);
            expect(replies.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
            break;
          }
        }
      }
      const report = await verify({ dataDir: t.dataDir });
      expect(report.violations).toEqual([]);
      const { accounts, totals } = await balances({ dataDir: t.dataDir });
      expect(totals).toEqual({ JPY: 0 });
      expect(accounts.filter((a) => a.kind === "user" && a.balanceMinor < 0)).toEqual([]);
    }

    it("every sequence keeps the invariants; admin verify passes after each", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 25 }), (ops) => run(ops)),
        { numRuns: Number(process.env["CODEPAY_PROPERTY_RUNS"] ?? 12), endOnFailure: true },
      );
    }, 600_000);
  });
}
