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

/** Terminal columns of one character: East Asian wide and full-width forms take two (kanji, 領収書, ｶ is one). */
function characterColumns(character: string): number {
  const code = character.codePointAt(0)!;
  const wide =
    (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) || (code >= 0xffe0 && code <= 0xffe6);
  return wide ? 2 : 1;
}

/** The text cut to `width` terminal columns, and the columns it takes. */
function fitColumns(text: string, width: number): { text: string; columns: number } {
  let fitted = "";
  let columns = 0;
  for (const character of text) {
    const next = characterColumns(character);
    if (columns + next > width) break;
    fitted += character;
    columns += next;
  }
  return { text: fitted, columns };
}

export function alignText(text: string, align: string, width: number): string {
  const fitted = fitColumns(text, width);
  const free = width - fitted.columns;
  const left = align === "center" ? Math.floor(free / 2) : align === "right" ? free : 0;
  return `${" ".repeat(left)}${fitted.text}${" ".repeat(free - left)}`;
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
