import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The browser journey starts a whole stack and builds the dashboard first.
    testTimeout: 120_000,
    hookTimeout: 900_000
  }
})
