/**
 * Decoder for the ESC/POS printer command stream, written from the Epson command reference.
 * Pure: bytes in, PrinterCommand values out. Every command is consumed by its own length, so a
 * command the model does not care about never desynchronises the text that follows.
 */
import { FramedDecoder, printableRunLength } from "../framed-decoder.js";
import { frameBytesMax, payloadSkipBytesMax } from "../../limits.js";
import type { PrinterCommand } from "./printer-commands.js";
import { command, unknown, type Step } from "./escpos-parse-helpers.js";
import { parseEscCommand } from "./escpos-esc.js";
import { parseGsCommand } from "./escpos-gs.js";
import { parseDleCommand, parseFsCommand } from "./escpos-realtime-and-fs.js";

const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const DLE = 0x10;

/** Parses one command from the front of `bytes` (never empty). */
export function parsePrinterCommand(bytes: Buffer): Step {
  const textBytes = printableRunLength(bytes);
  if (textBytes > 0) return command(textBytes, { type: "text", bytes: Buffer.from(bytes.subarray(0, textBytes)) });
  const first = bytes[0]!;
  switch (first) {
    case 0x0a: return command(1, { type: "lineFeed" }); // LF: print and feed one line
    case 0x0d: return command(1, { type: "carriageReturn" }); // CR
    case 0x09: return command(1, { type: "tab" }); // HT
    case 0x0c: return command(1, { type: "ignored", name: "FF print page" }); // FF (page mode)
    case 0x18: return command(1, { type: "ignored", name: "CAN cancel page data" }); // CAN (page mode)
    case ESC: return parseEscCommand(bytes);
    case GS: return parseGsCommand(bytes);
    case DLE: return parseDleCommand(bytes);
    case FS: return parseFsCommand(bytes);
    default: return unknown(bytes, 1);
  }
}

export function createEscPosDecoder(): FramedDecoder<PrinterCommand> {
  return new FramedDecoder<PrinterCommand>({
    parseOne: parsePrinterCommand,
    frameBytesMax,
    payloadSkipBytesMax,
    resyncCommand: (droppedBytes) => ({ type: "resync", droppedBytes }),
  });
}
