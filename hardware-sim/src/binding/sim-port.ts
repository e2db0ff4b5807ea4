/**
 * One open simulated serial port: serialport's BindingPortInterface whose far end is a device
 * emulator. Writes go to the emulator (paced when asked), the emulator's output is read back.
 */
import type { BindingPortInterface, OpenOptions, PortStatus, SetOptions, UpdateOptions } from "./serialport-binding-types.js";
import { receiveQueueBytesMax } from "../limits.js";
import type { DeviceEmulator } from "../devices/device-emulator.js";
import { BytePacer } from "./byte-pacer.js";

class CanceledError extends Error {
  readonly canceled = true;
  constructor(message: string) {
    super(message);
    this.name = "CanceledError";
  }
}

function enxio(): Error {
  return Object.assign(new Error("ENXIO: no such device or address"), { code: "ENXIO" });
}

export function completeOpenOptions(options: OpenOptions): Required<OpenOptions> {
  return {
    dataBits: 8, lock: true, stopBits: 1, parity: "none", rtscts: false, xon: false, xoff: false, xany: false, hupcl: true,
    ...options,
  };
}

interface PendingRead {
  readonly buffer: Buffer;
  readonly offset: number;
  readonly length: number;
  readonly resolve: (result: { buffer: Buffer; bytesRead: number }) => void;
  readonly reject: (error: Error) => void;
}

export class SimPort implements BindingPortInterface {
  isOpen = true;
  readonly openOptions: Required<OpenOptions>;
  private received: Buffer = Buffer.alloc(0);
  private pendingRead: PendingRead | undefined;
  private readonly toDevice: BytePacer;
  private readonly fromDevice: BytePacer;
  private readonly detach: () => void;
  /** Bytes the emulator sent while nobody read them and the queue was full (UART overrun). */
  overrunBytes = 0;
  private disconnected = false;

  constructor(
    options: OpenOptions,
    emulator: DeviceEmulator,
    private readonly paced: boolean,
    private readonly onClose: () => void,
  ) {
    this.openOptions = completeOpenOptions(options);
    const baudRate = paced ? this.openOptions.baudRate : undefined;
    this.toDevice = new BytePacer((bytes) => emulator.receive(bytes), baudRate);
    this.fromDevice = new BytePacer((bytes) => this.enqueueReceived(bytes), baudRate);
    this.detach = emulator.onTransmit((bytes) => this.fromDevice.send(Buffer.from(bytes)));
  }

  async close(): Promise<void> {
    if (this.disconnected && this.isOpen) {
      this.isOpen = false;
      this.onClose();
      return;
    }
    if (!this.isOpen) throw new Error("Port is not open");
    this.isOpen = false;
    this.detach();
    this.toDevice.stop();
    this.fromDevice.stop();
    const pending = this.pendingRead;
    this.pendingRead = undefined;
    pending?.reject(new CanceledError("Port is closed"));
    this.onClose();
  }

  /** The cable is pulled: a pending read fails with a non-cancel error, as an unplugged tty does (ENXIO). */
  disconnect(): void {
    if (!this.isOpen || this.disconnected) return;
    // isOpen stays true until serialport closes the port itself: it only reacts to a read error
    // on a port it believes open.
    this.disconnected = true;
    this.detach();
    this.toDevice.stop();
    this.fromDevice.stop();
    const pending = this.pendingRead;
    this.pendingRead = undefined;
    pending?.reject(enxio());
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (this.disconnected) return Promise.reject(enxio());
    if (!this.isOpen) return Promise.reject(new CanceledError("Port is not open"));
    if (this.pendingRead !== undefined) return Promise.reject(new Error("A read is already pending"));
    return new Promise((resolve, reject) => {
      this.pendingRead = { buffer, offset, length, resolve, reject };
      this.satisfyRead();
    });
  }

  async write(buffer: Buffer): Promise<void> {
    if (this.disconnected) throw enxio();
    if (!this.isOpen) throw new CanceledError("Port is not open");
    this.toDevice.send(Buffer.from(buffer));
  }

  async update(options: UpdateOptions): Promise<void> {
    if (!this.isOpen) throw new Error("Port is not open");
    this.openOptions.baudRate = options.baudRate;
    if (this.paced) {
      this.toDevice.setBaudRate(options.baudRate);
      this.fromDevice.setBaudRate(options.baudRate);
    }
  }

  async set(_options: SetOptions): Promise<void> {
    if (!this.isOpen) throw new Error("Port is not open");
  }

  async get(): Promise<PortStatus> {
    if (!this.isOpen) throw new Error("Port is not open");
    return { cts: true, dsr: true, dcd: true };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    if (!this.isOpen) throw new Error("Port is not open");
    return { baudRate: this.openOptions.baudRate };
  }

  async flush(): Promise<void> {
    if (!this.isOpen) throw new Error("Port is not open");
    this.received = Buffer.alloc(0);
  }

  async drain(): Promise<void> {
    if (!this.isOpen) throw new Error("Port is not open");
    await this.toDevice.idle();
  }

  private enqueueReceived(bytes: Buffer): void {
    if (!this.isOpen) return;
    let queue = Buffer.concat([this.received, bytes]);
    if (queue.length > receiveQueueBytesMax) {
      this.overrunBytes += queue.length - receiveQueueBytesMax;
      queue = queue.subarray(queue.length - receiveQueueBytesMax);
    }
    this.received = queue;
    this.satisfyRead();
  }

  private satisfyRead(): void {
    const pending = this.pendingRead;
    if (pending === undefined || this.received.length === 0) return;
    this.pendingRead = undefined;
    const bytesRead = Math.min(pending.length, this.received.length);
    this.received.copy(pending.buffer, pending.offset, 0, bytesRead);
    this.received = this.received.subarray(bytesRead);
    pending.resolve({ buffer: pending.buffer, bytesRead });
  }
}
