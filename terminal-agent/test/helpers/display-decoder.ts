/**
 * A tiny, independent decoder of Epson display-mode bytes (written from the command list, not from
 * the agent's encoder): ESC @, US X n, ESC t n, US $ x y and printable characters. Returns every screen state
 * after each printable run, so a test can see what was on the glass, not only the final frame.
 */
export function decodeDisplay(bytes: Buffer): { screens: string[][]; final: string[] } {
  let lines = [" ".repeat(20), " ".repeat(20)];
  let column = 0;
  let row = 0;
  const screens: string[][] = [];
  for (let i = 0; i < bytes.length; ) {
    const byte = bytes[i]!;
    if (byte === 0x1b && bytes[i + 1] === 0x40) {
      lines = [" ".repeat(20), " ".repeat(20)];
      column = 0;
      row = 0;
      i += 2;
    } else if ((byte === 0x1f && bytes[i + 1] === 0x58) || (byte === 0x1b && bytes[i + 1] === 0x74)) {
      i += 3;
    } else if (byte === 0x1f && bytes[i + 1] === 0x24) {
      column = bytes[i + 2]! - 1;
      row = bytes[i + 3]! - 1;
      i += 4;
    } else if (byte >= 0x20 && byte <= 0x7e) {
      const line = lines[row]!;
      lines[row] = line.slice(0, column) + String.fromCharCode(byte) + line.slice(column + 1);
      column++;
      i++;
      if (!(bytes[i]! >= 0x20 && bytes[i]! <= 0x7e)) screens.push([...lines]);
    } else {
      throw new Error(`unexpected display byte 0x${byte.toString(16)} at ${i}`);
    }
  }
  return { screens, final: lines };
}
