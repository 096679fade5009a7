/**
 * Writes a translated stream as Responses API events, each `event: <type>` with its JSON and a
 * `sequence_number` counted from 0: `response.created`, `response.in_progress`, then per output
 * item `response.output_item.added`, its content (`response.content_part.added`,
 * `response.output_text.delta`… `.done`, `response.content_part.done`; reasoning summary parts;
 * `response.function_call_arguments.delta`… `.done`) and `response.output_item.done`, and last
 * `response.completed` (or `response.incomplete`) with the whole Response and its usage. A stream
 * that fails ends with `error` and `response.failed`.
 */
import type { FinishReason } from "../../translate/FinishReason.ts"
import type { ClientSink } from "../../translate/stream/Sink.ts"
import type { UsageMeter } from "../../translate/Usage.ts"
import { echoRequest } from "./echo.ts"
import { newItemId } from "./ids.ts"
import { finishResponse, responseSkeleton } from "./response.ts"
import { toResponsesUsage } from "./usage.ts"
import type { ResponsesOutputItem, ResponsesOutputText, ResponsesRequest, ResponsesResponse } from "./wire.ts"

type MessageItem = Extract<ResponsesOutputItem, { type: "message" }>
type CallItem = Extract<ResponsesOutputItem, { type: "function_call" }>
type ReasoningItem = Extract<ResponsesOutputItem, { type: "reasoning" }>

/** Responses event writer. */
export class ResponsesEncoder implements ClientSink {
  private out = ""
  private sequence = 0
  private started = false
  private ended = false
  private readonly createdAt = Math.floor(Date.now() / 1000)
  private readonly output: Array<ResponsesOutputItem> = []
  /** The item being written (text and reasoning stream into the open item only). */
  private open: { readonly index: number; readonly item: ResponsesOutputItem } | undefined = undefined
  /** Upstream tool key → output index of its function call. */
  private readonly tools = new Map<number, number>()
  private finishReason: FinishReason = "stop"

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly meter: UsageMeter,
    private readonly request: ResponsesRequest | undefined
  ) {}

  private event(type: string, fields: Record<string, unknown>): void {
    this.out += `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: this.sequence++ })}\n\n`
  }

  /** The Response as it stands, with the request's settings. */
  private response(status: ResponsesResponse["status"]): ResponsesResponse {
    const response = responseSkeleton(this.id, this.model, this.createdAt, status)
    response.output = structuredClone(this.output)
    return this.request === undefined ? response : echoRequest(response, this.request)
  }

  begin(): void {
    if (this.started) return
    this.started = true
    this.event("response.created", { response: this.response("in_progress") })
    this.event("response.in_progress", { response: this.response("in_progress") })
  }

  private add(item: ResponsesOutputItem): number {
    this.begin()
    this.close()
    const index = this.output.length
    this.output.push(item)
    this.open = { index, item }
    this.event("response.output_item.added", { output_index: index, item: structuredClone(item) })
    return index
  }

  /** Closes the open item: its `.done` events, then `response.output_item.done`. */
  private close(): void {
    const open = this.open
    if (open === undefined) return
    this.open = undefined
    const { index, item } = open
    if (item.type === "message") {
      const part = item.content[0] as ResponsesOutputText
      this.event("response.output_text.done", {
        item_id: item.id,
        output_index: index,
        content_index: 0,
        text: part.text,
        logprobs: []
      })
      this.event("response.content_part.done", {
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part: structuredClone(part)
      })
    } else if (item.type === "reasoning") {
      const part = item.summary[0]!
      this.event("response.reasoning_summary_text.done", {
        item_id: item.id,
        output_index: index,
        summary_index: 0,
        text: part.text
      })
      this.event("response.reasoning_summary_part.done", {
        item_id: item.id,
        output_index: index,
        summary_index: 0,
        part: structuredClone(part)
      })
    } else {
      this.event("response.function_call_arguments.done", {
        item_id: item.id,
        name: item.name,
        output_index: index,
        arguments: item.arguments
      })
    }
    if (item.type !== "reasoning") item.status = "completed"
    this.event("response.output_item.done", { output_index: index, item: structuredClone(item) })
  }

  text(s: string): void {
    let open = this.open
    if (open === undefined || open.item.type !== "message") {
      const item: MessageItem = {
        type: "message",
        id: newItemId("msg_"),
        status: "in_progress",
        role: "assistant",
        content: []
      }
      const index = this.add(item)
      const part: ResponsesOutputText = { type: "output_text", text: "", annotations: [], logprobs: [] }
      this.event("response.content_part.added", {
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part: structuredClone(part)
      })
      item.content.push(part)
      open = this.open!
    }
    const item = open.item as MessageItem
    ;(item.content[0] as ResponsesOutputText).text += s
    this.event("response.output_text.delta", {
      item_id: item.id,
      output_index: open.index,
      content_index: 0,
      delta: s,
      logprobs: []
    })
  }

  reasoning(s: string): void {
    let open = this.open
    if (open === undefined || open.item.type !== "reasoning") {
      const item: ReasoningItem = { type: "reasoning", id: newItemId("rs_"), summary: [] }
      const index = this.add(item)
      const part = { type: "summary_text" as const, text: "" }
      this.event("response.reasoning_summary_part.added", {
        item_id: item.id,
        output_index: index,
        summary_index: 0,
        part: structuredClone(part)
      })
      item.summary.push(part)
      open = this.open!
    }
    const item = open.item as ReasoningItem
    item.summary[0]!.text += s
    this.event("response.reasoning_summary_text.delta", {
      item_id: item.id,
      output_index: open.index,
      summary_index: 0,
      delta: s
    })
  }

  signature(s: string): void {
    // Anthropic's thinking signature: it rides in the reasoning item's opaque `encrypted_content`.
    const item = this.open?.item
    if (item?.type === "reasoning") item.encrypted_content = (item.encrypted_content ?? "") + s
  }

  toolStart(key: number, id: string, name: string): void {
    const item: CallItem = {
      type: "function_call",
      id: newItemId("fc_"),
      call_id: id,
      name,
      arguments: "",
      status: "in_progress"
    }
    this.tools.set(key, this.add(item))
  }

  toolArgs(key: number, s: string): void {
    // A call already closed (arguments interleaved across calls) still gets its delta on its own
    // output index, and its full arguments in the final Response.
    const index = this.tools.get(key)
    if (index === undefined) return
    const item = this.output[index] as CallItem
    item.arguments += s
    this.event("response.function_call_arguments.delta", { item_id: item.id, output_index: index, delta: s })
  }

  finish(reason: FinishReason): void {
    this.finishReason = reason
  }

  end(): void {
    if (this.ended) return
    this.ended = true
    this.begin()
    this.close()
    const response = finishResponse(
      this.response("completed"),
      this.finishReason,
      toResponsesUsage(this.meter.result()),
      Math.floor(Date.now() / 1000)
    )
    this.event(response.status === "incomplete" ? "response.incomplete" : "response.completed", { response })
  }

  fail(type: string, message: string): void {
    if (this.ended) return
    this.ended = true
    this.begin()
    this.close()
    this.event("error", { code: type, message, param: null })
    const response = this.response("failed")
    response.error = { code: "server_error", message }
    response.usage = toResponsesUsage(this.meter.result())
    this.event("response.failed", { response })
  }

  take(): string {
    const s = this.out
    this.out = ""
    return s
  }
}
