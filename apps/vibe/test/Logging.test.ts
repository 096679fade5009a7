/**
 * `MODAL_VIBE_LOG_LEVEL`: the seed's level names, and a clear error for any other.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, LogLevel } from "effect"
import * as Logging from "../src/Logging.ts"

const read = (value?: string) =>
  Effect.runSync(
    Effect.either(
      Effect.withConfigProvider(
        Logging.level,
        ConfigProvider.fromMap(new Map(value === undefined ? [] : [["MODAL_VIBE_LOG_LEVEL", value]]))
      )
    )
  )

describe("MODAL_VIBE_LOG_LEVEL", () => {
  it("reads the seed's names in any case, INFO by default", () => {
    expect(read()).toEqual(Either.right(LogLevel.Info))
    expect(read("warning")).toEqual(Either.right(LogLevel.Warning))
    expect(read("DEBUG")).toEqual(Either.right(LogLevel.Debug))
    expect(read("CRITICAL")).toEqual(Either.right(LogLevel.Fatal))
  })

  it("refuses an unknown name, saying which variable", () => {
    const result = read("LOUD")
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) expect(String(result.left)).toContain("MODAL_VIBE_LOG_LEVEL must be one of")
  })
})
