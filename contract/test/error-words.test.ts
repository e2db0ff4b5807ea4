/** People never see a bare code: every code has short words in English and in Japanese. */
import { describe, expect, it } from "vitest";
import { ERROR_CODES, ERROR_WORDS } from "../src/index.js";

describe("error words", () => {
  it("each code has English and Japanese words, and no words name a code", () => {
    for (const code of ERROR_CODES) {
      const words = ERROR_WORDS[code];
      expect(words.en.length, code).toBeGreaterThan(3);
      expect(words.ja, code).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
      expect(words.en, code).not.toMatch(/[A-Z]{2,}_[A-Z]/);
    }
    expect(Object.keys(ERROR_WORDS).sort()).toEqual([...ERROR_CODES].sort());
  });
});
