import { defineConfig } from "vitest/config";

// One run over every package. Workspace packages resolve to their TypeScript sources through the
// "source" export condition, so tests never run against a stale build.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
  test: {
    include: ["*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./scripts/vitest-summary-reporter.ts"],
  },
});
