import { afterEach, describe, expect, it } from "vitest";
import { startControlApi, startDevices, type ControlApi, type SimDevices } from "../src/index.js";

/** A response body as the test reads it: the assertions below check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();

describe("control API over real HTTP", () => {
  let devices: SimDevices;
  let api: ControlApi;

  afterEach(async () => {
    await api?.close();
    await devices?.stop();
  });

  async function start(): Promise<void> {
    devices = await startDevices({ transport: "in-process" });
    api = await startControlApi({ devices, port: 0 });
  }

  it("GET /api/display returns the screen", async () => {
    await start();
    devices.display.receive(Buffer.from([0x1b, 0x40, ...Buffer.from("WELCOME"), 0x1f, 0x58, 0x03]));
    const body = await (await fetch(`${api.url}/api/display`)).json();
    expect(body).toMatchObject({ lines: ["WELCOME             ", " ".repeat(20)], brightness: 3, cursor: { row: 1, col: 8 } });
  });

  it("GET /api/printer returns receipts with text, lines, qr, cut, drawerKicks", async () => {
    await start();
    devices.printer.receive(Buffer.from([
      0x1b, 0x61, 0x01, 0x1b, 0x45, 0x01, ...Buffer.from("STORE\n"), 0x1b, 0x45, 0x00, 0x1b, 0x61, 0x00,
      ...Buffer.from("TOTAL JPY 1200\n"), 0x1d, 0x28, 0x6b, 0x06, 0x00, 0x31, 0x50, 0x30, ...Buffer.from("p-1"),
      0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30, 0x1d, 0x56, 0x41, 0x00, 0x1b, 0x70, 0x00, 0x19, 0xfa,
    ]));
    const body = await json(await fetch(`${api.url}/api/printer`));
    expect(body.receipts).toEqual([{
      text: "STORE\nTOTAL JPY 1200",
      lines: [
        { text: "STORE", align: "center", bold: true, size: { width: 1, height: 1 } },
        { text: "TOTAL JPY 1200", align: "left", bold: false, size: { width: 1, height: 1 } },
      ],
      qr: ["p-1"], cut: true, drawerKicks: 1,
    }]);
  });

  it("POST /api/card-reader/swipe sends the swipe and answers with the masked PAN only", async () => {
    await start();
    const sent: Buffer[] = [];
    devices.cardReader.onTransmit((bytes) => sent.push(bytes));
    const response = await fetch(`${api.url}/api/card-reader/swipe`, { method: "POST", body: JSON.stringify({ card: "mastercard" }) });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain("5555555555554444");
    expect(JSON.parse(text)).toMatchObject({ swipe: { card: "mastercard", maskedPan: "555555******4444" } });
    expect(Buffer.concat(sent).toString("ascii")).toContain(";5555555555554444=");
    const defaulted = await json(await fetch(`${api.url}/api/card-reader/swipe`, { method: "POST" }));
    expect(defaulted.swipe.card).toBe("visa");
  });

  it("rejects bad swipes and unknown routes with error bodies", async () => {
    await start();
    const bad = await fetch(`${api.url}/api/card-reader/swipe`, { method: "POST", body: JSON.stringify({ card: "amex" }) });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe("BAD_REQUEST");
    const notJson = await fetch(`${api.url}/api/card-reader/swipe`, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    const missing = await fetch(`${api.url}/api/nothing`);
    expect(missing.status).toBe(404);
  });

  it("POST /api/printer/faults changes what DLE EOT reports; GET /api/health answers", async () => {
    await start();
    const response = await fetch(`${api.url}/api/printer/faults`, { method: "POST", body: JSON.stringify({ paperEnd: true }) });
    expect((await json(response)).faults.paperEnd).toBe(true);
    const sent: number[] = [];
    devices.printer.onTransmit((bytes) => sent.push(...bytes));
    devices.printer.receive(Buffer.from([0x10, 0x04, 0x04]));
    expect(sent).toEqual([0x72]);
    const health = await (await fetch(`${api.url}/api/health`)).json();
    expect(health).toMatchObject({ status: "ok", transport: "in-process", devices: { display: "/sim/display" } });
  });
});
