/**
 * runScenario against a stand-in agent (cashier API + real display/printer bytes over the
 * SimBinding) and a stand-in gateway. The stand-in writes its own bytes: no agent code is imported.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SerialPortStream } from "@serialport/stream";
import { ThermalPrinter, PrinterTypes } from "node-thermal-printer";
import { codeOnDisplay, runScenario, startControlApi, startDevices, type ControlApi, type SimDevices } from "../src/index.js";
import { startFakeHttp, type FakeRequest } from "./fake-http.js";

interface StandIn {
  readonly cashierUrl: string;
  readonly gatewayUrl: string;
  close(): Promise<void>;
}

function receiptBytes(paymentId: string, totalText: string): Buffer {
  const p = new ThermalPrinter({ type: PrinterTypes.EPSON, interface: "tcp://127.0.0.1:9", width: 42 });
  p.alignCenter(); p.bold(true); p.println("Demo Store"); p.bold(false); p.alignLeft();
  p.leftRight("TOTAL", totalText); p.println("CODE PAY"); p.println(`PAYMENT ${paymentId}`); p.println("REF R-1");
  p.printQR(paymentId); p.cut();
  return Buffer.concat([p.getBuffer(), Buffer.from([0x1b, 0x70, 0x00, 0x19, 0xfa])]);
}

function displayBytes(line1: string, line2: string): Buffer {
  return Buffer.concat([Buffer.from([0x0c]), Buffer.from(line1), Buffer.from([0x1f, 0x24, 1, 2]), Buffer.from(line2)]);
}

async function openPort(devices: SimDevices, path: string): Promise<SerialPortStream> {
  const port = new SerialPortStream({ binding: devices.binding!, path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return port;
}

async function startStandIn(devices: SimDevices, printedTotal: (minor: number) => string): Promise<StandIn> {
  const display = await openPort(devices, devices.paths.display);
  const printer = await openPort(devices, devices.paths.printer);
  const payments = new Map<string, { paymentId: string; state: string; amount: { minor: number; currency: string }; code: string }>();
  let codeCounter = 0;
  const cashier = await startFakeHttp((request: FakeRequest) => {
    if (request.method === "POST" && request.path === "/v1/payments") {
      const { amountMinor, paymentId } = request.body as { amountMinor: number; paymentId: string };
      codeCounter += 1;
      const code = `48291${String(codeCounter).padStart(2, "0")}`;
      const payment = { paymentId, state: "issued", amount: { minor: amountMinor, currency: "JPY" }, code };
      payments.set(paymentId, payment);
      display.write(displayBytes(`TOTAL       JPY ${amountMinor}`.slice(0, 20), `CODE ${code.slice(0, 3)} ${code.slice(3)}   1:59`));
      return { status: 201, body: { payment: { ...payment, state: "requested", code: undefined } } };
    }
    const payment = payments.get(request.path.split("/")[3] ?? "");
    return payment ? { status: 200, body: { payment } } : { status: 404, body: {} };
  });
  const gateway = await startFakeHttp((request: FakeRequest) => {
    if (request.path === "/api/v1/claims") {
      const code = (request.body as { code: string }).code;
      const payment = [...payments.values()].find((candidate) => candidate.code === code);
      if (!payment) return { status: 404, body: { error: { code: "CODE_NOT_FOUND", message: "no such code" } } };
      return { status: 200, body: { paymentId: payment.paymentId, storeName: "Demo Store", registerId: "r1", registerName: "R1", amount: payment.amount, expiresAt: 1 } };
    }
    const payment = payments.get(request.path.split("/")[4] ?? "")!;
    payment.state = "approved";
    printer.write(receiptBytes(payment.paymentId, printedTotal(payment.amount.minor)));
    return { status: 200, body: { paymentId: payment.paymentId, state: "approved", amount: payment.amount, reference: "R-1" } };
  });
  return {
    cashierUrl: cashier.url,
    gatewayUrl: gateway.url,
    async close() {
      await cashier.close();
      await gateway.close();
      await new Promise((resolve) => display.close(resolve));
      await new Promise((resolve) => printer.close(resolve));
    },
  };
}

describe("runScenario", () => {
  let devices: SimDevices;
  let control: ControlApi;
  let standIn: StandIn;

  afterEach(async () => {
    await standIn?.close();
    await control?.close();
    await devices?.stop();
  });

  async function run(printedTotal: (minor: number) => string, payments: number) {
    devices = await startDevices({ transport: "in-process" });
    control = await startControlApi({ devices, port: 0 });
    standIn = await startStandIn(devices, printedTotal);
    const lines: string[] = [];
    const summary = await runScenario({
      cashierApiUrl: standIn.cashierUrl, simUrl: control.url, gatewayUrl: standIn.gatewayUrl, subscriberCredential: "cred",
      payments, amountMinor: 1200, stepTimeoutMs: 5000, pollIntervalMs: 10, onResult: (result) => lines.push(result.paymentId),
    });
    return { summary, lines };
  }

  it("passes payments whose code is on the display and whose receipt shows TOTAL and the amount", async () => {
    const { summary, lines } = await run((minor) => `JPY ${minor}`, 3);
    expect(summary.results.map((result) => result.message)).toEqual([undefined, undefined, undefined]);
    expect(summary).toMatchObject({ passed: 3, failed: 0 });
    expect(summary.results.map((result) => result.code)).toEqual(["4829101", "4829102", "4829103"]);
    expect(lines).toHaveLength(3);
    expect(devices.printer.snapshot().receipts).toHaveLength(3);
  });

  it("fails a payment whose receipt shows the wrong amount", async () => {
    const { summary } = await run(() => "JPY 12", 1);
    expect(summary).toMatchObject({ passed: 0, failed: 1 });
    expect(summary.results[0]).toMatchObject({ ok: false, failedStep: "receipt" });
    expect(summary.results[0]!.message).toContain('no "TOTAL ... JPY 1200" line');
  });

  it("reads the grouped code off line 2 and nothing else", () => {
    expect(codeOnDisplay("CODE 482 9137   1:59")).toBe("4829137");
    expect(codeOnDisplay("CODE 4829 1370 10:00")).toBe("48291370");
    expect(codeOnDisplay("PAY WITH CODE PAY   ")).toBeUndefined();
    // Long codes (a chain's server lengthens them): three groups, the countdown on line 1 instead.
    expect(codeOnDisplay("CODE 482 913 705    ")).toBe("482913705");
    expect(codeOnDisplay("CODE 482 913 7051   ")).toBe("4829137051");
    expect(codeOnDisplay("CODE 4829 1370 5123 ")).toBe("482913705123");
    expect(codeOnDisplay("CODE 482 913 7051 1:59")).toBe("4829137051");
  });
});
