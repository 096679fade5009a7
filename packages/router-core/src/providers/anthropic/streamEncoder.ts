/**
 * Writes a translated stream as Anthropic message events: `message_start`, one
 * `content_block_start` / `_delta`… / `_stop` run per text, thinking or tool-use block, then
 * `message_delta` (stop reason and usage) and `message_stop`.
 */
import { formatError } from "../../translate/Errors.ts"
import { type FinishReason, toAnthropicStop } from "../../translate/FinishReason.ts"
import type { ClientSink } from "../../translate/stream/Sink.ts"
import { toAnthropicUsage, type UsageMeter } from "../../translate/Usage.ts"

type BlockKind = "text" | "thinking" | "tool_use"

/** Anthropic event writer. */
export class AnthropicEncoder implements ClientSink {
  private out = ""
  private started = false
  private nextIndex = 0
  private open: BlockKind | undefined = undefined
  private openIndex = 0
  /** Upstream tool key → Anthropic content block index. */
  private readonly tools = new Map<number, number>()
  private stopReason: FinishReason = "stop"
  private stopSequence: string | null = null

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly meter: UsageMeter
  ) {}

  private event(name: string, data: string): void {
    this.out += `event: ${name}\ndata: ${data}\n\n`
  }

  begin(): void {
    if (this.started) return
    this.started = true
    const m = this.meter
    this.event(
      "message_start",
      `{"type":"message_start","message":{"id":${JSON.stringify(this.id)},"type":"message","role":"assistant","model":${JSON.stringify(
        this.model
      )},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":${m.input},"cache_creation_input_tokens":${m.cacheCreation},"cache_read_input_tokens":${m.cached},"output_tokens":${m.output}}}}`
    )
  }

  private close(): void {
    if (this.open === undefined) return
    this.open = undefined
    this.event("content_block_stop", `{"type":"content_block_stop","index":${this.openIndex}}`)
  }

  private openBlock(kind: BlockKind, block: string): number {
    this.begin()
    this.close()
    const index = this.nextIndex++
    this.open = kind
    this.openIndex = index
    this.event(
      "content_block_start",
      `{"type":"content_block_start","index":${index},"content_block":${block}}`
    )
    return index
  }

  private delta(index: number, delta: string): void {
    this.event("content_block_delta", `{"type":"content_block_delta","index":${index},"delta":${delta}}`)
  }

  text(s: string): void {
    if (this.open !== "text") this.openBlock("text", `{"type":"text","text":""}`)
    this.delta(this.openIndex, `{"type":"text_delta","text":${JSON.stringify(s)}}`)
  }

  reasoning(s: string): void {
    if (this.open !== "thinking") this.openBlock("thinking", `{"type":"thinking","thinking":""}`)
    this.delta(this.openIndex, `{"type":"thinking_delta","thinking":${JSON.stringify(s)}}`)
  }

  signature(s: string): void {
    if (this.open === "thinking")
      this.delta(this.openIndex, `{"type":"signature_delta","signature":${JSON.stringify(s)}}`)
  }

  toolStart(key: number, id: string, name: string): void {
    const index = this.openBlock(
      "tool_use",
      `{"type":"tool_use","id":${JSON.stringify(id)},"name":${JSON.stringify(name)},"input":{}}`
    )
    this.tools.set(key, index)
  }

  toolArgs(key: number, s: string): void {
    // A tool whose block is already closed (arguments interleaved across calls) still gets its
    // delta on its own index, which is how the SDKs accumulate them.
    const index = this.tools.get(key)
    if (index !== undefined)
      this.delta(index, `{"type":"input_json_delta","partial_json":${JSON.stringify(s)}}`)
  }

  finish(reason: FinishReason, stopSequence: string | null): void {
    this.stopReason = reason
    this.stopSequence = stopSequence
  }

  end(): void {
    this.begin()
    this.close()
    this.event(
      "message_delta",
      `{"type":"message_delta","delta":{"stop_reason":"${toAnthropicStop(this.stopReason, this.stopSequence)}","stop_sequence":${JSON.stringify(
        this.stopSequence
      )}},"usage":${JSON.stringify(toAnthropicUsage(this.meter.result()))}}`
    )
    this.event("message_stop", `{"type":"message_stop"}`)
  }

  fail(type: string, message: string): void {
    this.event("error", JSON.stringify(formatError("anthropic", 502, type, message)))
  }

  take(): string {
    const s = this.out
    this.out = ""
    return s
  }
}
