/** What the ESC/POS printer decoder reports, one value per command on the wire. */

export type Alignment = "left" | "center" | "right";

/** FS C n: how kanji mode reads double-byte characters. */
export type KanjiCodeSystem = "jis" | "shift_jis";

export type PrinterCommand =
  | { readonly type: "initialize" } // ESC @
  | { readonly type: "text"; readonly bytes: Buffer }
  | { readonly type: "lineFeed" } // LF
  | { readonly type: "carriageReturn" } // CR (ignored by most printers when LF follows)
  | { readonly type: "tab" } // HT
  | { readonly type: "feedLines"; readonly lines: number } // ESC d n
  | { readonly type: "align"; readonly align: Alignment } // ESC a n
  | { readonly type: "bold"; readonly on: boolean } // ESC E n
  | { readonly type: "printMode"; readonly mode: number } // ESC ! n
  | { readonly type: "characterSize"; readonly width: number; readonly height: number } // GS ! n
  | { readonly type: "underline"; readonly thickness: number } // ESC - n
  | { readonly type: "codeTable"; readonly table: number } // ESC t n
  | { readonly type: "kanjiMode"; readonly on: boolean } // FS & (on), FS . (off)
  | { readonly type: "kanjiCodeSystem"; readonly system: KanjiCodeSystem } // FS C n
  | { readonly type: "cut"; readonly partial: boolean } // GS V (all forms), ESC i, ESC m
  | { readonly type: "qrStore"; readonly data: Buffer } // GS ( k fn 80
  | { readonly type: "qrPrint" } // GS ( k fn 81
  | { readonly type: "drawerKick"; readonly pin: 2 | 5; readonly onTimeMs: number; readonly offTimeMs: number } // ESC p, DLE DC4 1
  | { readonly type: "drawerKickMalformed"; readonly bytes: Buffer }
  | { readonly type: "statusRequest"; readonly statusType: number } // DLE EOT n
  | { readonly type: "automaticStatusBack"; readonly enableMask: number } // GS a n
  | { readonly type: "transmitStatus"; readonly statusType: number } // GS r n
  /** A command the printer knows, skipped by its correct length, that does not change the receipt model. */
  | { readonly type: "ignored"; readonly name: string }
  | { readonly type: "unknown"; readonly bytes: Buffer }
  | { readonly type: "resync"; readonly droppedBytes: number };
