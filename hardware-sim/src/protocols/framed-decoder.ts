/**
 * A streaming decoder shell shared by the device codecs: bytes arrive in arbitrary chunks, a
 * protocol-specific `parseOne` reads one command from the front, and the shell keeps only the
 * unfinished tail. A tail longer than `frameBytesMax` is dropped byte by byte until the parser
 * finds its footing again (resync), so garbage can never make the decoder grow.
 */

export type ParseStep<Command> =
  /** One command of `length` bytes; `skipAfter` more payload bytes follow that nobody needs (raster images). */
  | { readonly kind: "command"; readonly length: number; readonly command: Command; readonly skipAfter?: number }
  /** The front is the start of a command whose remaining bytes have not arrived yet. */
  | { readonly kind: "need-more" };

export interface FramedDecoderOptions<Command> {
  readonly parseOne: (bytes: Buffer) => ParseStep<Command>;
  readonly frameBytesMax: number;
  /** Longest payload a command may declare for skipping; beyond it the command is treated as garbage. */
  readonly payloadSkipBytesMax: number;
  /** The command reported when bytes had to be dropped to resync. */
  readonly resyncCommand: (droppedBytes: number) => Command;
}

export class FramedDecoder<Command> {
  private pending: Buffer = Buffer.alloc(0);
  private skipBytesRemaining = 0;

  constructor(private readonly options: FramedDecoderOptions<Command>) {}

  /** Bytes waiting for the rest of their command. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): Command[] {
    const commands: Command[] = [];
    let bytes = this.consumeSkip(chunk);
    if (bytes.length === 0) return commands;
    bytes = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    let offset = 0;
    let droppedBytes = 0;
    while (offset < bytes.length) {
      const step = this.options.parseOne(bytes.subarray(offset));
      if (step.kind === "need-more") {
        if (bytes.length - offset <= this.options.frameBytesMax) break;
        offset += 1; // resync: the tail is too long to be one command
        droppedBytes += 1;
        continue;
      }
      const skip = step.skipAfter ?? 0;
      if (skip > this.options.payloadSkipBytesMax) {
        offset += 1; // an absurd declared length: garbage, not a command
        droppedBytes += 1;
        continue;
      }
      if (droppedBytes > 0) commands.push(this.options.resyncCommand(droppedBytes));
      droppedBytes = 0;
      commands.push(step.command);
      offset += step.length;
      if (skip > 0) {
        const available = Math.min(skip, bytes.length - offset);
        offset += available;
        this.skipBytesRemaining = skip - available;
      }
    }
    if (droppedBytes > 0) commands.push(this.options.resyncCommand(droppedBytes));
    // Copy the tail so a big chunk is not kept alive by a small remainder.
    this.pending = Buffer.from(bytes.subarray(offset));
    return commands;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
    this.skipBytesRemaining = 0;
  }

  private consumeSkip(chunk: Buffer): Buffer {
    if (this.skipBytesRemaining === 0) return chunk;
    const skipped = Math.min(this.skipBytesRemaining, chunk.length);
    this.skipBytesRemaining -= skipped;
    return chunk.subarray(skipped);
  }
}

/**
 * How many bytes at the front of `bytes` are printable (0x20 and up, except DEL 0x7F): the run a
 * display or printer writes as text. 0 when the first byte is a control byte.
 */
export function printableRunLength(bytes: Buffer): number {
  let end = 0;
  while (end < bytes.length && bytes[end]! >= 0x20 && bytes[end] !== 0x7f) end += 1;
  return end;
}
