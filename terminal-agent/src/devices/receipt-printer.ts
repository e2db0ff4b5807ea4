/**
 * ESC/POS receipt printer driver: the receipt bytes come from node-thermal-printer (buildReceipt),
 * the drawer kick from our own ESC p constant, both written to the transport in order.
 */
import type { Logger } from "pino";
import { DRAWER_KICK } from "../protocols/escpos/drawer-kick.js";
import { buildReceipt } from "../protocols/escpos/receipt.js";
import type { ReceiptData } from "../protocols/escpos/receipt.js";
import type { ReceiptPrinter } from "./device.js";
import { PosDevice } from "./pos-device.js";
import type { Transport } from "./transport.js";

export interface EscPosPrinterOptions {
  /** Wire a cash drawer to the printer's drawer port (DK connector). */
  readonly drawer: boolean;
}

export class EscPosReceiptPrinter extends PosDevice<never> implements ReceiptPrinter {
  constructor(
    transport: Transport,
    private readonly options: EscPosPrinterOptions,
    logger: Logger,
  ) {
    super("printer", transport, logger);
  }

  protected resetInput(): void {}
  protected receive(): void {}
  protected onReady(): void {}

  async print(receipt: ReceiptData): Promise<void> {
    const bytes = buildReceipt(receipt);
    await this.transport.write(bytes);
    this.logger.info({ paymentId: receipt.paymentId, bytes: bytes.length }, "receipt printed");
  }

  async kickDrawer(): Promise<void> {
    if (!this.options.drawer) return;
    await this.transport.write(DRAWER_KICK);
    this.logger.info("cash drawer kicked");
  }
}
