/** The dashboard's event log: what happened on the devices, newest last, bounded. */

export type LogSource = "display" | "printer" | "drawer" | "card-reader" | "phone" | "devices";

export interface LogEntry {
  readonly atMs: number;
  readonly source: LogSource;
  readonly text: string;
  readonly level: "info" | "warn";
}

export const eventLogEntriesMax = 200;

export class EventLog {
  readonly #entries: LogEntry[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  add(source: LogSource, text: string, level: LogEntry["level"] = "info"): void {
    if (this.#entries.length >= eventLogEntriesMax) this.#entries.shift();
    this.#entries.push({ atMs: this.now(), source, text, level });
  }

  /** The newest `count` entries, oldest first. */
  latest(count: number): readonly LogEntry[] {
    return this.#entries.slice(-count);
  }
}

/** The display's text without the issued screen's countdown ("1:59"), so a ticking clock is not an event. */
export function displayTextForLog(lines: readonly string[]): string {
  return lines.map((line) => line.replace(/\s+\d{1,2}:\d{2}$/, "").trimEnd()).join(" | ");
}
