/**
 * Writes a translated stream as OpenAI chat completion chunks. The part of every chunk that never
 * changes (id, created, model) is serialised once; each delta adds only its own JSON.
 */
import { formatError } from "../../translate/Errors.ts"
import type { FinishReason } from "../../translate/FinishReason.ts"
import type { ClientSink } from "../../translate/stream/Sink.ts"
import { toOpenAIUsage, type UsageMeter } from "../../translate/Usage.ts"

/** The usage-only chunk that closes an OpenAI stream for clients that asked for usage. */
export const openaiUsageChunk = (id: string, created: number, model: string, meter: UsageMeter): string =>
  `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(
    model
  )},"choices":[],"usage":${JSON.stringify(toOpenAIUsage(meter.result()))}}\n\n`

/** OpenAI chunk writer. */
export class OpenAIEncoder implements ClientSink {
  private out = ""
  private readonly head: string
  private readonly created: number
  private started = false
  private finished = false
  /** Upstream tool key → OpenAI `tool_calls[].index`. */
  private readonly tools = new Map<number, number>()

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly meter: UsageMeter,
    private readonly wantsUsage: boolean
  ) {
    this.created = Math.floor(Date.now() / 1000)
    this.head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(
      model
    )},"choices":[{"index":0,"delta":`
  }

  begin(): void {
    if (this.started) return
    this.started = true
    this.out += `${this.head}{"role":"assistant","content":""},"finish_reason":null}]}\n\n`
  }

  private delta(delta: string): void {
    this.begin()
    this.out += `${this.head}${delta},"finish_reason":null}]}\n\n`
  }

  text(s: string): void {
    this.delta(`{"content":${JSON.stringify(s)}}`)
  }

  reasoning(s: string): void {
    this.delta(`{"reasoning_content":${JSON.stringify(s)}}`)
  }

  signature(): void {
    // OpenAI clients have no place for Anthropic's thinking signature.
  }

  toolStart(key: number, id: string, name: string): void {
    const index = this.tools.size
    this.tools.set(key, index)
    this.delta(
      `{"tool_calls":[{"index":${index},"id":${JSON.stringify(id)},"type":"function","function":{"name":${JSON.stringify(
        name
      )},"arguments":""}}]}`
    )
  }

  toolArgs(key: number, s: string): void {
    const index = this.tools.get(key)
    if (index !== undefined)
      this.delta(`{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(s)}}}]}`)
  }

  finish(reason: FinishReason): void {
    if (this.finished) return
    this.begin()
    this.finished = true
    this.out += `${this.head}{},"finish_reason":"${reason}"}]}\n\n`
  }

  end(): void {
    if (!this.finished) this.finish("stop")
    if (this.wantsUsage) this.out += openaiUsageChunk(this.id, this.created, this.model, this.meter)
    this.out += "data: [DONE]\n\n"
  }

  fail(type: string, message: string): void {
    this.out += `data: ${JSON.stringify(formatError("openai", 502, type, message))}\n\n`
  }

  take(): string {
    const s = this.out
    this.out = ""
    return s
  }
}
