/**
 * Delivers bytes no faster than a serial line at `baudRate` would (8N1: 10 bits per byte).
 * A pty or a socket does not throttle, so a simulator that wants real timing paces itself.
 * Without a baud rate it delivers at once.
 */
import { pacedChunkBytesMax } from "../limits.js";

const BITS_PER_BYTE_8N1 = 10;

export class BytePacer {
  private readonly queue: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly deliver: (bytes: Buffer) => void,
    private baudRate: number | undefined,
  ) {}

  setBaudRate(baudRate: number | undefined): void {
    this.baudRate = baudRate;
  }

  send(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.baudRate === undefined) {
      this.deliver(bytes);
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += pacedChunkBytesMax) {
      this.queue.push(bytes.subarray(offset, offset + pacedChunkBytesMax));
    }
    if (this.timer === undefined) this.scheduleNext();
  }

  /** Resolves once every queued byte has been delivered. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.timer === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops whatever is still queued. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.notifyIdle();
  }

  private scheduleNext(): void {
    const next = this.queue[0];
    if (next === undefined || this.baudRate === undefined) {
      this.timer = undefined;
      this.notifyIdle();
      return;
    }
    const bytesPerSecond = this.baudRate / BITS_PER_BYTE_8N1;
    const transmitMs = (next.length * 1000) / bytesPerSecond;
    // A chunk arrives once its last bit has crossed the line.
    this.timer = setTimeout(() => {
      const chunk = this.queue.shift();
      if (chunk !== undefined) this.deliver(chunk);
      this.scheduleNext();
    }, transmitMs);
  }

  private notifyIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
