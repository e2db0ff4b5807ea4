import { afterEach, describe, expect, it } from "vitest";
import { SimPhone } from "../src/index.js";
import { startFakeHttp, type FakeHandler } from "./fake-http.js";

const CLAIM = {
  paymentId: "pay-00000001", storeName: "Demo Store", registerId: "demo-reg-1", registerName: "Register 1",
  amount: { minor: 1200, currency: "JPY" }, expiresAt: 1_900_000_000_000,
};

describe("SimPhone over real HTTP", () => {
  let gateway: Awaited<ReturnType<typeof startFakeHttp>> | undefined;

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  async function phoneWith(handler: FakeHandler): Promise<SimPhone> {
    gateway = await startFakeHttp(handler);
    return new SimPhone({ gatewayUrl: `${gateway.url}/`, subscriberCredential: "cred-123" });
  }

  it("claims with a bearer credential and a fresh requestId, sending the code without spaces", async () => {
    const phone = await phoneWith(() => ({ status: 200, body: CLAIM }));
    const first = await phone.claim("482 9137");
    const second = await phone.claim("4829137");
    expect(first).toEqual({ ok: true, value: CLAIM });
    expect(second.ok).toBe(true);
    const [a, b] = gateway!.requests;
    expect(a).toMatchObject({ method: "POST", path: "/api/v1/claims", body: { code: "4829137" } });
    expect(a!.headers.authorization).toBe("Bearer cred-123");
    const idA = (a!.body as { requestId: string }).requestId;
    const idB = (b!.body as { requestId: string }).requestId;
    expect(idA).toMatch(/^[0-9a-f-]{36}$/);
    expect(idA).not.toBe(idB);
  });

  it("approves and declines on the payment's path", async () => {
    const phone = await phoneWith((request) =>
      request.path.endsWith("/approve")
        ? { status: 200, body: { paymentId: "pay-00000001", state: "approved", amount: CLAIM.amount, reference: "R-1" } }
        : { status: 200, body: { paymentId: "pay-00000001", state: "declined" } });
    expect(await phone.approve("pay-00000001")).toMatchObject({ ok: true, value: { state: "approved", reference: "R-1" } });
    expect(await phone.decline("pay-00000001")).toMatchObject({ ok: true, value: { state: "declined" } });
    expect(gateway!.requests.map((request) => request.path)).toEqual([
      "/api/v1/payments/pay-00000001/approve", "/api/v1/payments/pay-00000001/decline",
    ]);
  });

  it("surfaces server errors as typed results", async () => {
    const phone = await phoneWith(() => ({ status: 404, body: { error: { code: "CODE_NOT_FOUND", message: "no open payment" } } }));
    expect(await phone.claim("1234567")).toEqual({ ok: false, status: 404, code: "CODE_NOT_FOUND", message: "no open payment" });
  });

  it("reports a response that breaks the contract as RESPONSE_INVALID", async () => {
    const phone = await phoneWith(() => ({ status: 200, body: { ...CLAIM, amount: { minor: -5, currency: "JPY" } } }));
    expect(await phone.claim("1234567")).toMatchObject({ ok: false, status: 200, code: "RESPONSE_INVALID" });
    const weird = await phoneWith(() => ({ status: 500, body: { error: { code: "MADE_UP", message: "x" } } }));
    expect(await weird.claim("1234567")).toMatchObject({ ok: false, status: 500, code: "RESPONSE_INVALID" });
  });

  it("reports an unreachable gateway as GATEWAY_UNREACHABLE", async () => {
    const closed = await startFakeHttp(() => ({ status: 200, body: {} }));
    await closed.close();
    const phone = new SimPhone({ gatewayUrl: closed.url, subscriberCredential: "cred" });
    expect(await phone.approve("pay-00000001")).toMatchObject({ ok: false, status: 0, code: "GATEWAY_UNREACHABLE" });
  });

  it("gives up on a gateway that accepts the request and never answers", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<{ status: number; body: unknown }>((resolve) => (release = () => resolve({ status: 200, body: {} })));
    gateway = await startFakeHttp(() => held);
    const phone = new SimPhone({ gatewayUrl: gateway.url, subscriberCredential: "cred", requestTimeoutMs: 200 });
    const result = await phone.claim("1234567");
    release();
    expect(result).toMatchObject({ ok: false, status: 0, code: "GATEWAY_UNREACHABLE", message: "no answer within 200 ms" });
    expect(gateway.requests).toHaveLength(1);
  });

  it("reads a reply that is not JSON as a broken contract, not a crash", async () => {
    const { createServer } = await import("node:http");
    const server = createServer((_request, response) => response.writeHead(502, { "content-type": "text/html" }).end("<html>bad gateway</html>"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address() as { port: number };
    try {
      const phone = new SimPhone({ gatewayUrl: `http://127.0.0.1:${address.port}`, subscriberCredential: "cred" });
      expect(await phone.claim("1234567")).toEqual({ ok: false, status: 502, code: "RESPONSE_INVALID", message: "HTTP 502 without an error body" });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
