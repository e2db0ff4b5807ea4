/** What the Epson ESC/POS display-mode decoder (DM-D series) reports. */

export type DisplayWriteMode = "overwrite" | "vertical-scroll" | "horizontal-scroll";

export type DisplayCommand =
  | { readonly type: "initialize" } // ESC @
  | { readonly type: "clear" } // CLR 0C
  | { readonly type: "clearLine" } // CAN 18
  | { readonly type: "home" } // HOM 0B
  | { readonly type: "cursorTo"; readonly col: number; readonly row: number } // US $ x y
  | { readonly type: "carriageReturn" } // CR 0D
  | { readonly type: "lineFeed" } // LF 0A
  | { readonly type: "backspace" } // BS 08
  | { readonly type: "tab" } // HT 09
  | { readonly type: "cursorUp" } // US LF 1F 0A
  | { readonly type: "cursorRightEnd" } // US CR 1F 0D
  | { readonly type: "cursorBottom" } // US B 1F 42
  | { readonly type: "cursorVisible"; readonly visible: boolean } // US C n
  | { readonly type: "brightness"; readonly level: number } // US X n
  | { readonly type: "blink"; readonly interval: number } // US E n
  | { readonly type: "codeTable"; readonly table: number } // ESC t n
  | { readonly type: "writeMode"; readonly mode: DisplayWriteMode } // US MD1/MD2/MD3
  | { readonly type: "text"; readonly bytes: Buffer }
  /** CD5220 ESC Q A/B <text> CR: write a whole line (row 1 or 2) from column 1. */
  | { readonly type: "lineWrite"; readonly row: number; readonly bytes: Buffer }
  /** A command the display understands but that does not change the screen model. */
  | { readonly type: "ignored"; readonly name: string }
  | { readonly type: "unknown"; readonly bytes: Buffer }
  | { readonly type: "resync"; readonly droppedBytes: number };
