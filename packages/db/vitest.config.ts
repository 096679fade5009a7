import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // These suites start PostgreSQL servers and bun child processes: on a loaded 2-core machine one
    // start can take over 30 s, which is a slow machine, not a failure.
    testTimeout: 120_000,
    hookTimeout: 60_000
  }
})
