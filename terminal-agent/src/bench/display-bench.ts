/**
 * npm run bench:display
 * 1. Bytes written per display update against the minimal bytes for that change, per model
 *    (minimal: the cheapest set of cursor moves + changed cells, found exhaustively per row).
 * 2. With the simulator pacing bytes at 9600 baud (8N1), the time from the issued screen being handed
 *    to the driver (the moment the agent has the code) to the last code byte on the simulated glass,
 *    against the wire time of the bytes written.
 * The simulator is loaded at run time (it is a dev dependency and builds after the agent).
 */
import { performance } from "node:perf_hooks";
import pino from "pino";
import type { Payment } from "../core/payment.js";
import { renderScreen } from "../core/screens.js";
import { SerialPoleDisplay } from "../devices/pole-display.js";
import type { SerialBinding } from "../devices/serial-connection.js";
import { openTransport } from "../devices/transport.js";
import { COMMAND_SETS, DISPLAY_MODELS } from "../protocols/pole-display/command-sets.js";
import type { DisplayModel } from "../protocols/pole-display/command-sets.js";
import type { Frame } from "../protocols/pole-display/framebuffer.js";

interface SimModule {
  PoleDisplayEmulator: new (model: DisplayModel) => { snapshot(): { lines: readonly string[] }; on(event: "changed", listener: () => void): void };
  createSimBinding(devices: Record<string, unknown>, options: { baudPacing: boolean }): SerialBinding;
}

const BITS_PER_BYTE_8N1 = 10;
const start = 1_700_000_000_000;

function payment(state: Payment["state"], at: number): Payment {
  return { paymentId: "bench-0001", state, amount: { minor: 1200, currency: "JPY" }, lines: [], createRequestId: "r", code: "4829137", expiresAt: start + 120_000, receiptPrinted: false, cancelRequested: false, createdAt: start, updatedAt: at } as unknown as Payment;
}

/** The frames a shopper sees during one payment: idle, waiting, the code counting down 10 s, approved, idle. */
function scenario(): Frame[] {
  const frames: Frame[] = [renderScreen({ storeName: "Demo Store", linkUp: true }, start)];
  frames.push(renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("requested", start) }, start));
  for (let second = 0; second <= 10; second++) frames.push(renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("issued", start) }, start + 1_000 + second * 1_000));
  frames.push(renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("approved", start + 12_000) }, start + 12_000));
  frames.push(renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("approved", start + 12_000) }, start + 20_000));
  return frames;
}

/** Cheapest bytes for one row: partition the changed cells into runs, each run = one cursor move + its cells. */
function minimalRowBytes(from: string, to: string, moveBytes: number): number {
  const changed = [...to].flatMap((character, column) => (from[column] === character ? [] : [column]));
  const best: number[] = [0];
  for (let end = 1; end <= changed.length; end++) {
    let cost = Infinity;
    for (let first = 0; first < end; first++) cost = Math.min(cost, best[first]! + moveBytes + (changed[end - 1]! - changed[first]! + 1));
    best[end] = cost;
  }
  return best[changed.length]!;
}

function minimalBytes(from: Frame, to: Frame, model: DisplayModel): number {
  return to.reduce((sum, row, index) => sum + minimalRowBytes(from[index]!, row, COMMAND_SETS[model].cursorMoveBytes), 0);
}

function bytesPerUpdate(): void {
  const logger = pino({ level: "silent" });
  console.log("1) bytes written per update vs minimal bytes for that change (after the first full frame)");
  for (const model of DISPLAY_MODELS) {
    const display = new SerialPoleDisplay(openTransport({ path: "tcp://127.0.0.1:9", baudRate: 9600, logger }), logger, { model });
    const frames = scenario().map((frame) => frame.map((line) => line.padEnd(20)));
    let written = 0;
    let minimal = 0;
    let worst = 1;
    for (let index = 1; index < frames.length; index++) {
      const bytes = display.encode(frames[index - 1], frames[index]!).length;
      const least = minimalBytes(frames[index - 1]!, frames[index]!, model);
      written += bytes;
      minimal += least;
      if (least > 0) worst = Math.max(worst, bytes / least);
    }
    console.log(`   ${model.padEnd(15)} updates ${frames.length - 1}  written ${written} B  minimal ${minimal} B  ratio ${(written / minimal).toFixed(3)}x  worst update ${worst.toFixed(3)}x  (goal <= 1.1x)`);
  }
}

async function codeLatency(sim: SimModule): Promise<void> {
  console.log("2) issued screen handed to the driver -> last code byte on the simulated glass, 9600 baud paced");
  const logger = pino({ level: "silent" });
  for (const model of DISPLAY_MODELS) {
    const emulator = new sim.PoleDisplayEmulator(model);
    const binding = sim.createSimBinding({ "/sim/display": emulator }, { baudPacing: true });
    const display = new SerialPoleDisplay(openTransport({ path: "/sim/display", baudRate: 9600, binding, logger }), logger, { model });
    const idle = renderScreen({ storeName: "Demo Store", linkUp: true }, start);
    display.show(idle);
    display.start();
    await new Promise<void>((resolve) => emulator.on("changed", () => emulator.snapshot().lines[1]?.startsWith("PAY WITH CODE PAY") && resolve()));
    await display.whenIdle();
    const issued = renderScreen({ storeName: "Demo Store", linkUp: true, payment: payment("issued", start) }, start + 1_000);
    const bytes = display.encode(idle, issued).length;
    const shown = new Promise<number>((resolve) => emulator.on("changed", () => emulator.snapshot().lines[1]?.startsWith("CODE 482 9137") && resolve(performance.now())));
    const began = performance.now();
    display.show(issued);
    const elapsedMs = (await shown) - began;
    const wireMs = (bytes * BITS_PER_BYTE_8N1 * 1000) / 9600;
    console.log(`   ${model.padEnd(15)} ${bytes} B  on the glass after ${elapsedMs.toFixed(1)} ms  wire time ${wireMs.toFixed(1)} ms  ratio ${(elapsedMs / wireMs).toFixed(2)}x`);
    await display.stop();
  }
}

const specifier = "@codepay/hardware-sim";
bytesPerUpdate();
await codeLatency((await import(specifier)) as SimModule);
