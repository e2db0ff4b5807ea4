/// <reference lib="dom" />
/**
 * HTTPS for the shopper API and the carrier gateway (`serve --https` with the certificate from
 * `codepay-server admin tls issue-server`, made by Debian's openssl): a phone pays over HTTPS
 * through the gateway, which reaches the shopper API over HTTPS too and checks its certificate
 * against the CA; HSTS and the other headers are sent; a client that does not trust the CA and
 * plain HTTP on the HTTPS port get nothing. Then Debian's chromium pays a code on the page over
 * HTTPS, with the page's Content-Security-Policy in force and no violation reported.
 */
import { createHash, X509Certificate } from "node:crypto";
import https from "node:https";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTlsCa, demoSeed, issueServerCert, silentLogger, startServer, type DemoSeedOutput, type RunningServer } from "@codepay/sync-server";
import { PROTOCOL_VERSION, downTopic, upTopic } from "@codepay/contract";
import { findTool, requireToolOrSkip } from "@codepay/hardware-sim";

const hasOpenssl = requireToolOrSkip("openssl", "HTTPS tests (certificates are made with openssl)");
const hasChromium = hasOpenssl && requireToolOrSkip("chromium", "the shopper page over HTTPS in a browser");

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: options.method ?? "GET", headers: options.headers ?? {}, ...(options.ca !== undefined ? { ca: options.ca } : {}), agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

describe.skipIf(!hasOpenssl)("HTTPS for the shopper API and the carrier gateway", () => {
  let dir: string;
  let server: RunningServer;
  let seed: DemoSeedOutput;
  let ca: Buffer;
  let register: MqttClient;
  let paymentNumber = 0;

  /** The demo register asks for a payment over MQTT; resolves with its code. */
  async function issue(amountMinor: number): Promise<{ paymentId: string; code: string }> {
    paymentNumber += 1;
    const paymentId = `https-payment-${paymentNumber}`;
    const issued = new Promise<Record<string, unknown>>((resolve) => {
      const onMessage = (_topic: string, payload: Buffer): void => {
        const message = JSON.parse(payload.toString()) as Record<string, unknown>;
        if (message["type"] !== "payment.issued" || message["paymentId"] !== paymentId) return;
        register.off("message", onMessage);
        resolve(message);
      };
      register.on("message", onMessage);
    });
    await register.publishAsync(upTopic(seed.storeId, seed.registerId), JSON.stringify({ v: PROTOCOL_VERSION, type: "payment.create", requestId: `${paymentId}-request`, paymentId, amount: { minor: amountMinor, currency: "JPY" } }), { qos: 1 });
    return { paymentId, code: String((await issued)["code"]) };
  }

  const phoneHeaders = () => ({ authorization: `Bearer ${seed.subscriberCredential}`, "content-type": "application/json" });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "codepay-https-"));
    createTlsCa({ out: join(dir, "ca") });
    issueServerCert({ ca: join(dir, "ca"), host: "127.0.0.1", out: join(dir, "server") });
    ca = await readFile(join(dir, "ca", "ca.crt"));
    const dataDir = join(dir, "data");
    seed = await demoSeed({ dataDir });
    server = await startServer({
      dataDir,
      ports: { mqtt: 0, shopperApi: 0, gateway: 0 },
      logger: silentLogger(),
      https: { cert: join(dir, "server", "server.crt"), key: join(dir, "server", "server.key"), ca: join(dir, "ca", "ca.crt") },
      // The signed hop over HTTPS, as a separate gateway uses it (the default in-process hop: sync-server/test/e2e/gateway-hop.test.ts).
      gatewayHop: "http",
    });
    register = await mqtt.connectAsync(server.mqttUrl, { clientId: seed.registerId, username: seed.registerId, password: seed.password, reconnectPeriod: 0 });
    await register.subscribeAsync(downTopic(seed.storeId, seed.registerId), { qos: 1 });
  });

  afterAll(async () => {
    await register?.endAsync(true);
    await server?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test("both listeners are https:// and a phone pays over HTTPS through the gateway (gateway to API over HTTPS too)", async () => {
    expect(server.gatewayUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.shopperApiUrl).toMatch(/^https:\/\//);
    const { paymentId, code } = await issue(700);
    const claim = await request(`${server.gatewayUrl}/api/v1/claims`, { method: "POST", headers: phoneHeaders(), body: JSON.stringify({ requestId: "https-claim-1", code }), ca });
    expect([claim.status, JSON.parse(claim.body).paymentId]).toEqual([200, paymentId]);
    const approve = await request(`${server.gatewayUrl}/api/v1/payments/${paymentId}/approve`, { method: "POST", headers: phoneHeaders(), body: JSON.stringify({ requestId: "https-approve-1" }), ca });
    expect([approve.status, JSON.parse(approve.body).state]).toEqual([200, "approved"]);
  });

  test("HSTS, nosniff, no-referrer, DENY and a CSP on the gateway, the shopper API and the operator listener", async () => {
    for (const url of [`${server.gatewayUrl}/pay`, `${server.gatewayUrl}/api/v1/claims`, `${server.shopperApiUrl}/pay`, `${server.shopperApiUrl}/api/v1/claims`, `${server.operatorUrl}/health`]) {
      const reply = await request(url, { ca });
      expect(reply.headers["strict-transport-security"], url).toBe("max-age=31536000");
      expect(reply.headers["x-content-type-options"], url).toBe("nosniff");
      expect(reply.headers["referrer-policy"], url).toBe("no-referrer");
      expect(reply.headers["x-frame-options"], url).toBe("DENY");
      expect(reply.headers["content-security-policy"], url).toMatch(/frame-ancestors 'none'/);
    }
  });

  test("a client that does not trust the CA is refused; plain HTTP on the HTTPS port gets no page", async () => {
    await expect(request(`${server.gatewayUrl}/pay`)).rejects.toThrow(/certificate/i);
    const plain = await fetch(server.gatewayUrl.replace("https://", "http://") + "/pay").then(
      (response) => `status ${response.status}`,
      (error: unknown) => `error ${(error as Error).message}`,
    );
    expect(plain).not.toBe("status 200");
  });

  describe.skipIf(!hasChromium)("the shopper page over HTTPS in chromium", () => {
    let browser: Browser;
    beforeAll(async () => {
      // Trust exactly this server's key (its SPKI hash), as a phone trusts the carrier's certificate.
      const spki = new X509Certificate(await readFile(join(dir, "server", "server.crt"))).publicKey.export({ type: "spki", format: "der" });
      const spkiHash = createHash("sha256").update(spki).digest("base64");
      browser = await chromium.launch({
        executablePath: findTool("chromium") ?? "/usr/bin/chromium",
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", `--ignore-certificate-errors-spki-list=${spkiHash}`],
      });
    });
    afterAll(async () => {
      await browser?.close();
    });

    test("pays a code with the page's CSP in force and no violation", { timeout: 60_000 }, async () => {
      const context = await browser.newContext({ viewport: { width: 360, height: 760 }, locale: "en-US" });
      context.setDefaultTimeout(20_000);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        // A CSP violation is reported as a console error "Refused to ... Content Security Policy".
        if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
      });
      page.on("response", (reply) => {
        // The browser's own favicon request has no credential: 401 from the gateway is expected there only.
        if (reply.status() >= 400 && !reply.url().endsWith("/favicon.ico")) problems.push(`${reply.status()} ${reply.url()}`);
      });
      page.on("pageerror", (error) => problems.push(error.message));
      const response = await page.goto(`${server.gatewayUrl}/pay#phone=${seed.subscriberCredential}`);
      expect(response?.headers()["strict-transport-security"]).toBe("max-age=31536000");
      expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
      const { code } = await issue(1_300);
      for (const digit of code) await page.getByRole("button", { name: digit, exact: true }).click();
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("heading", { name: "Check and approve" }).waitFor();
      expect(await page.locator("#confirm-amount").textContent()).toBe("¥1,300");
      await page.getByRole("button", { name: "Approve" }).click();
      await page.locator("#result.ok").waitFor();
      expect(problems).toEqual([]);
      await context.close();
    });
  });
});
