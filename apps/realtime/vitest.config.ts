import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Every suite starts hubs (bun processes) of its own: one file at a time keeps a loaded
    // machine from starving them, and the limits leave room for slow starts (no test asserts time).
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000
  }
})
