/**
 * JSON log lines at `MODAL_VIBE_LOG_LEVEL` (seed 004's names: DEBUG, INFO, WARNING, ERROR,
 * CRITICAL; default INFO) and above.
 */
import { Config, Layer, Logger, LogLevel } from "effect"

const byName: Readonly<Record<string, LogLevel.LogLevel>> = {
  TRACE: LogLevel.Trace,
  DEBUG: LogLevel.Debug,
  INFO: LogLevel.Info,
  WARN: LogLevel.Warning,
  WARNING: LogLevel.Warning,
  ERROR: LogLevel.Error,
  CRITICAL: LogLevel.Fatal,
  FATAL: LogLevel.Fatal
}

/** The configured level; an unknown name is a configuration error naming the variable. */
export const level = Config.string("MODAL_VIBE_LOG_LEVEL").pipe(
  Config.withDefault("INFO"),
  Config.map((name) => name.trim().toUpperCase()),
  Config.validate({
    message: `MODAL_VIBE_LOG_LEVEL must be one of ${Object.keys(byName).join(", ")}`,
    validation: (name) => name in byName
  }),
  Config.map((name) => byName[name] as LogLevel.LogLevel)
)

/** JSON lines, filtered by the configured level. */
export const layer = Layer.unwrapEffect(
  Config.map(level, (minimum) => Layer.merge(Logger.json, Logger.minimumLogLevel(minimum)))
)
