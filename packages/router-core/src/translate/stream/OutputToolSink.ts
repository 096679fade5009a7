/**
 * The streamed side of structured output emulation (see `StructuredOutput.ts`): the output tool's
 * call reaches the client as answer text, its argument fragments as text deltas, and a finish for
 * tool calls as a plain stop when no other tool was called. Every other call passes through.
 * Only put in front of the encoder when the request was emulated, so other streams pay nothing.
 */
import type { FinishReason } from "../FinishReason.ts"
import type { ClientSink } from "./Sink.ts"

/** A `ClientSink` that unwraps the output tool into text before the client's encoder. */
export class OutputToolSink implements ClientSink {
  /** Upstream keys of the output tool's calls. */
  private readonly outputKeys = new Set<number>()
  private otherTools = false

  constructor(
    private readonly inner: ClientSink,
    private readonly tool: string
  ) {}

  begin(): void {
    this.inner.begin()
  }
  text(delta: string): void {
    this.inner.text(delta)
  }
  reasoning(delta: string): void {
    this.inner.reasoning(delta)
  }
  signature(delta: string): void {
    this.inner.signature(delta)
  }
  toolStart(key: number, id: string, name: string): void {
    if (name === this.tool) {
      this.outputKeys.add(key)
      return
    }
    this.otherTools = true
    this.inner.toolStart(key, id, name)
  }
  toolArgs(key: number, delta: string): void {
    if (this.outputKeys.has(key)) this.inner.text(delta)
    else this.inner.toolArgs(key, delta)
  }
  finish(reason: FinishReason, stopSequence: string | null): void {
    this.inner.finish(reason === "tool_calls" && !this.otherTools ? "stop" : reason, stopSequence)
  }
  end(): void {
    this.inner.end()
  }
  fail(type: string, message: string): void {
    this.inner.fail(type, message)
  }
  take(): string {
    return this.inner.take()
  }
}
