/**
 * What every upstream stream decoder shares: lenient JSON parsing of an event and the ways a stream
 * goes wrong (an upstream error event, a malformed event, a stream cut short), recorded on the
 * stream's state and passed to the client's sink.
 */
import type { ClientSink, StreamState } from "./Sink.ts"

/** An event's JSON, or `undefined` when it is not JSON. */
export const parse = (data: string): unknown => {
  try {
    return JSON.parse(data)
  } catch {
    return undefined
  }
}

/** Records the stream's fault and ends the client's stream with it. */
export const fault = (
  state: StreamState,
  sink: ClientSink,
  kind: "upstream_error" | "malformed" | "truncated",
  type: string,
  message: string
) => {
  state.fault = { kind, type, message }
  sink.fail(type, message)
}

/** The stream ended before its final event. */
export const truncated = (state: StreamState, sink: ClientSink, from: string) =>
  fault(state, sink, "truncated", "api_error", `The ${from} upstream stream ended before it completed`)

/** An event that is not what the format says (at the very end: a truncation). */
export const malformed = (state: StreamState, sink: ClientSink, from: string) =>
  state.ending
    ? truncated(state, sink, from)
    : fault(state, sink, "malformed", "api_error", `The ${from} upstream sent a malformed stream event`)

/** The `error` object providers put in an event when they fail mid-stream. */
export interface UpstreamErrorData {
  error?: { type?: string; message?: string; status?: string }
}
