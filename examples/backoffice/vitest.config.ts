import { defineProject, mergeConfig } from "vitest/config"
import { shared } from "../../vitest.shared.js"

// The browser tests start `kaituan serve` and Chromium: one file at a time, generous timeouts.
export default mergeConfig(
  shared,
  defineProject({ test: { name: "backoffice", testTimeout: 120_000, hookTimeout: 180_000, fileParallelism: false } })
)
