import { describe, expect, it } from "vitest";
import { alignText } from "../src/dashboard/terminal-dashboard.js";

describe("terminal dashboard receipt lines", () => {
  it("aligns ASCII as before", () => {
    expect(alignText("TOTAL", "left", 10)).toBe("TOTAL     ");
    expect(alignText("TOTAL", "right", 10)).toBe("     TOTAL");
    expect(alignText("Demo", "center", 10)).toBe("   Demo   ");
    expect(alignText("0123456789AB", "left", 10)).toBe("0123456789");
  });

  it("counts kanji and full-width characters as two columns, half-width Katakana as one", () => {
    expect(alignText("領収書", "center", 10)).toBe("  領収書  ");
    expect(alignText("ｺﾞｳｹｲ", "right", 10)).toBe("     ｺﾞｳｹｲ");
    // A wide character that would straddle the edge is left out rather than cut in half.
    expect(alignText("合計合計合計", "left", 5)).toBe("合計 ");
  });
});
