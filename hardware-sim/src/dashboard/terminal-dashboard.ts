/**
 * Live view for a terminal: the 2x20 display in a frame and the last receipt, redrawn in place.
 * Pure rendering (renderDashboard) apart from the small redraw shell.
 */
import type { DisplaySnapshot } from "../devices/pole-display-emulator.js";
import type { Receipt } from "../protocols/escpos/receipt-builder.js";

const RECEIPT_LINES_SHOWN = 14;
const RECEIPT_WIDTH = 42;
const REDRAW_INTERVAL_MS = 100;

export interface DashboardState {
  readonly display: DisplaySnapshot;
  readonly lastReceipt: Receipt | undefined;
  readonly receipts: number;
  readonly status: string;
}

function alignText(text: string, align: string, width: number): string {
  const trimmed = text.slice(0, width);
  if (align === "center") return trimmed.padStart(Math.floor((width + trimmed.length) / 2)).padEnd(width);
  if (align === "right") return trimmed.padStart(width);
  return trimmed.padEnd(width);
}

export function renderDashboard(state: DashboardState): string[] {
  const [line1, line2] = state.display.lines;
  const out = [
    `pole display (brightness ${state.display.brightness})`,
    `+${"-".repeat(20)}+`, `|${line1}|`, `|${line2}|`, `+${"-".repeat(20)}+`,
    `last receipt (${state.receipts} printed)`,
  ];
  const receipt = state.lastReceipt;
  if (receipt === undefined) {
    out.push("  (none yet)");
  } else {
    const lines = receipt.lines.slice(-RECEIPT_LINES_SHOWN);
    for (const line of lines) out.push(`  ${alignText(line.text, line.align, RECEIPT_WIDTH)}`);
    out.push(`  QR: ${receipt.qr.join(", ") || "-"}   drawer kicks: ${receipt.drawerKicks}   ${receipt.cut ? "cut" : "not cut"}`);
  }
  out.push(state.status);
  return out;
}

/** Redraws at most every REDRAW_INTERVAL_MS, moving the cursor up over the previous frame. */
export class TerminalDashboard {
  private linesDrawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly write: (text: string) => void, private readonly state: () => DashboardState) {}

  requestRedraw(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, REDRAW_INTERVAL_MS);
  }

  draw(): void {
    const lines = renderDashboard(this.state());
    const up = this.linesDrawn > 0 ? `\x1b[${this.linesDrawn}A` : "";
    this.write(`${up}\x1b[J${lines.join("\n")}\n`);
    this.linesDrawn = lines.length;
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
