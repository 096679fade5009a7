/**
 * Checks that a target really answers before it is measured: a JSON completion and a streamed
 * one must come back whole and unchanged in content, and Switchyard must show that its limiter
 * ran (OpenAI's `x-ratelimit-*` headers) and refuse a wrong key. A proxy that answers fast but
 * wrongly would otherwise win the benchmark.
 */

import type { Mode } from "./Report.ts"
import type { Target } from "./Target.ts"
import { contentOf } from "./upstream/OpenAiWire.ts"

const post = (target: Target, body: string, headers: Record<string, string> = target.headers) =>
  fetch(target.url, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(10_000)
  })

interface ChatCompletion {
  readonly choices?: ReadonlyArray<{ readonly message?: { readonly content?: unknown } }>
  readonly usage?: { readonly total_tokens?: unknown }
}

interface ChatCompletionChunk {
  readonly choices?: ReadonlyArray<{ readonly delta?: { readonly content?: unknown } }>
  readonly usage?: { readonly total_tokens?: unknown } | null
}

/** Throws with the reason when the target does not answer as OpenAI would. */
export const checkTarget = async (
  target: Target,
  bodies: Readonly<Record<Mode, string>>,
  chunks: number
): Promise<void> => {
  const expected = contentOf(chunks)
  const fail = (what: string, detail: string) => {
    throw new Error(`${target.name} failed the ${what} check: ${detail}`)
  }

  const json = await post(target, bodies.json)
  const jsonText = await json.text()
  if (json.status !== 200) fail("JSON", `status ${json.status}: ${jsonText.slice(0, 300)}`)
  const completion = JSON.parse(jsonText) as ChatCompletion
  if (completion.choices?.[0]?.message?.content !== expected)
    fail("JSON", `content differs: ${jsonText.slice(0, 300)}`)
  if (typeof completion.usage?.total_tokens !== "number") fail("JSON", "no usage")
  // The router reports the rate windows it admitted the request under: proof the limiter ran.
  if (target.name.startsWith("switchyard") && json.headers.get("x-ratelimit-limit-requests") === null) {
    fail("limits", "no x-ratelimit-limit-requests header: the limiter did not run")
  }

  // Both stream shapes: a proxy must reassemble events the network cut in two.
  for (const mode of ["stream", "stream-split"] as const) {
    const stream = await post(target, bodies[mode])
    const streamText = await stream.text()
    if (stream.status !== 200) fail(mode, `status ${stream.status}: ${streamText.slice(0, 300)}`)
    if (!(stream.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
      fail(mode, `content-type ${stream.headers.get("content-type")}`)
    }
    let content = ""
    let usage = false
    let done = false
    for (const line of streamText.split("\n")) {
      if (!line.startsWith("data:")) continue
      const data = line.slice(5).trim()
      if (data === "[DONE]") {
        done = true
        continue
      }
      const chunk = JSON.parse(data) as ChatCompletionChunk
      const delta = chunk.choices?.[0]?.delta?.content
      if (typeof delta === "string") content += delta
      if (typeof chunk.usage?.total_tokens === "number") usage = true
    }
    if (content !== expected)
      fail(mode, `content ${JSON.stringify(content)} instead of ${JSON.stringify(expected)}`)
    if (!usage) fail(mode, "no usage chunk")
    if (!done) fail(mode, "no [DONE]")
  }

  if (target.name.startsWith("switchyard")) {
    const refused = await post(target, bodies.json, {
      Authorization: "Bearer ef_not_a_real_key_000000000000"
    })
    const refusedText = await refused.text()
    if (refused.status !== 401)
      fail("auth", `a wrong key got ${refused.status}: ${refusedText.slice(0, 200)}`)
  }
}
