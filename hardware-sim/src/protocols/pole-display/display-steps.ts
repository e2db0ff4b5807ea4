/**
 * The pieces every pole-display decoder (Epson, CD5220, Logic Controls) builds its parse steps and
 * its streaming decoder from, so each command-set file holds only its own commands.
 */
import { FramedDecoder, printableRunLength, type ParseStep } from "../framed-decoder.js";
import { frameBytesMax, payloadSkipBytesMax } from "../../limits.js";
import type { DisplayCommand } from "./display-commands.js";

export type Step = ParseStep<DisplayCommand>;

export const needMore: Step = { kind: "need-more" };

export function command(length: number, value: DisplayCommand): Step {
  return { kind: "command", length, command: value };
}

export function unknown(bytes: Buffer, length: number): Step {
  return command(length, { type: "unknown", bytes: Buffer.from(bytes.subarray(0, length)) });
}

/** The printable run at the front of `bytes` as one text command; undefined when it starts with a control byte. */
export function textStep(bytes: Buffer): Step | undefined {
  const end = printableRunLength(bytes);
  return end === 0 ? undefined : command(end, { type: "text", bytes: Buffer.from(bytes.subarray(0, end)) });
}

/** A bounded streaming decoder around one command set's `parseOne`. */
export function createDisplayDecoder(parseOne: (bytes: Buffer) => Step): FramedDecoder<DisplayCommand> {
  return new FramedDecoder<DisplayCommand>({ parseOne, frameBytesMax, payloadSkipBytesMax, resyncCommand: (droppedBytes) => ({ type: "resync", droppedBytes }) });
}
