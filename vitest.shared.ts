import { defineConfig } from "vitest/config"

/** Shared vitest settings; each package merges these in its own vitest.config.ts. */
export const shared = defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2
  }
})
