/** Test helpers: wait for events instead of sleeping (the suite has no timed assertions). */
import type { EventEmitter } from "node:events";
import type { PoleDisplayEmulator } from "../src/index.js";

export function waitForDisplayLine(display: PoleDisplayEmulator, row: 0 | 1, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (display.snapshot().lines[row].startsWith(text)) {
        display.off("changed", check);
        resolve();
      }
    };
    display.on("changed", check);
    check();
  });
}

/** Collects `data` chunks from a stream-like emitter until `count` bytes have arrived. */
export function readBytes(source: EventEmitter, count: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= count) {
        source.off("data", onData);
        resolve(Buffer.concat(chunks));
      }
    };
    source.on("data", onData);
  });
}

export const ESC_AT = Buffer.from([0x1b, 0x40]);
export const DLE_EOT_PRINTER_STATUS = Buffer.from([0x10, 0x04, 0x01]);
