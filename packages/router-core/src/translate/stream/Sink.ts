/**
 * The seam between an upstream stream decoder and a client stream encoder: the decoder calls
 * these as it reads upstream events, the encoder writes the client's SSE text. Plain method calls
 * with primitive arguments, so nothing is allocated between the two per event.
 */
import type { FinishReason } from "../FinishReason.ts"
import { UsageMeter } from "../Usage.ts"

/** Client-side writer of a translated stream. */
export interface ClientSink {
  /** The upstream's answer has begun (its first event): clients get their opening event now. */
  begin(): void
  /** Answer text. */
  text(delta: string): void
  /** Reasoning text (Anthropic thinking, OpenAI-style `reasoning_content`, Gemini thoughts). */
  reasoning(delta: string): void
  /** Anthropic thinking signature of the reasoning being streamed. */
  signature(delta: string): void
  /** A tool call begins; `key` identifies it in later `toolArgs` calls. */
  toolStart(key: number, id: string, name: string): void
  /** A fragment of a tool call's JSON arguments. */
  toolArgs(key: number, delta: string): void
  /** Why generation stopped (usage may still follow). */
  finish(reason: FinishReason, stopSequence: string | null): void
  /** The upstream completed normally: write the closing events (usage included). */
  end(): void
  /** The stream failed: write an error event in the client's format. */
  fail(type: string, message: string): void
  /** The SSE text written since the last call. */
  take(): string
}

/** Why a stream did not complete normally. */
export interface StreamFault {
  /**
   * `upstream_error`: the upstream sent an error event; `malformed`: an event that is not its
   * wire format; `truncated`: the upstream stream ended before its final event.
   */
  readonly kind: "upstream_error" | "malformed" | "truncated"
  /** Error type in OpenAI's vocabulary (or the upstream's own). */
  readonly type: string
  readonly message: string
}

/** What a decoder learns about the stream, read by the translator's accessors. */
export class StreamState {
  readonly meter: UsageMeter
  finishReason: FinishReason | undefined = undefined
  /** The upstream signalled its end (`[DONE]`, `message_stop`, a Gemini finish reason). */
  completed = false
  fault: StreamFault | undefined = undefined
  /** The upstream body has ended: an event that does not parse now was cut off, not malformed. */
  ending = false

  constructor(estimatedInputTokens: number | (() => number) | undefined) {
    this.meter = new UsageMeter(estimatedInputTokens)
  }

  /** No more events will be interpreted once the stream completed or failed. */
  get done(): boolean {
    return this.completed || this.fault !== undefined
  }
}

/** Reads one upstream format's events. */
export interface StreamDecoder {
  /** One SSE event's `event` field (if any) and data. */
  event(name: string | undefined, data: string): void
  /** The upstream body ended. */
  end(): void
}

/** A sink that writes nothing: same-format passthrough only needs the decoder's bookkeeping. */
export const nullSink: ClientSink = {
  begin: () => {},
  text: () => {},
  reasoning: () => {},
  signature: () => {},
  toolStart: () => {},
  toolArgs: () => {},
  finish: () => {},
  end: () => {},
  fail: () => {},
  take: () => ""
}
