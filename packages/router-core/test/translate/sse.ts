/**
 * Feeding byte streams through a translator the way a network delivers them: whole, byte by byte,
 * or cut at random places (seeded, so a failure can be replayed).
 */
import { readFileSync } from "node:fs"
import type { StreamTranslator } from "../../src/translate/Stream.ts"

/** A fixture file's bytes. */
export const fixture = (path: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../fixtures/${path}`, import.meta.url)))

/** A fixture's text. */
export const fixtureText = (path: string): string => new TextDecoder().decode(fixture(path))

/** A fixture's JSON. */
export const fixtureJson = (path: string): unknown => JSON.parse(fixtureText(path))

/** LF line ends rewritten as CRLF. */
export const toCrlf = (bytes: Uint8Array): Uint8Array =>
  new TextEncoder().encode(new TextDecoder().decode(bytes).replace(/\r?\n/g, "\r\n"))

/** Deterministic pseudo-random numbers (mulberry32). */
export const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Cuts `bytes` into `size`-byte pieces. */
export const everyBytes = (bytes: Uint8Array, size: number): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size))
  return out
}

/** Cuts `bytes` at random places into pieces of 1 to `max` bytes. */
export const randomSplits = (bytes: Uint8Array, seed: number, max = 40): Array<Uint8Array> => {
  const rnd = prng(seed)
  const out: Array<Uint8Array> = []
  let i = 0
  while (i < bytes.length) {
    const n = 1 + Math.floor(rnd() * max)
    out.push(bytes.slice(i, i + n))
    i += n
  }
  return out
}

/** Runs chunks through a translator's stream; resolves with the client bytes as text and as chunks. */
export const run = async (t: StreamTranslator, chunks: ReadonlyArray<Uint8Array>) => {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c)
      controller.close()
    }
  })
  const reader = source.pipeThrough(t.stream).getReader()
  const out: Array<Uint8Array> = []
  for (;;) {
    const r = await reader.read()
    if (r.done) break
    out.push(r.value)
  }
  const all = new Uint8Array(out.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of out) {
    all.set(c, at)
    at += c.length
  }
  return { text: new TextDecoder().decode(all), bytes: all, chunks: out }
}

/**
 * Feeds the first `n` chunks, then cancels the client side as a disconnecting client does; the
 * translator's usage is read afterwards.
 */
export const runAbandoned = async (t: StreamTranslator, chunks: ReadonlyArray<Uint8Array>, n: number) => {
  const writer = t.stream.writable.getWriter()
  const reader = t.stream.readable.getReader()
  const decoder = new TextDecoder()
  let received = ""
  const reading = (async () => {
    for (;;) {
      const r = await reader.read()
      if (r.done) return
      received += decoder.decode(r.value, { stream: true })
    }
  })()
  for (const c of chunks.slice(0, n)) await writer.write(c)
  await reader.cancel("client went away")
  await reading
  await writer.abort("client went away").catch(() => {})
  return received
}

/** The SSE `data:` payloads of a client stream, parsed (`[DONE]` kept as the string). */
export const dataEvents = (text: string): Array<unknown> =>
  text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const data = block
        .split(/\r?\n/)
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(l.startsWith("data: ") ? 6 : 5))
        .join("\n")
      return data === "[DONE]" ? data : JSON.parse(data)
    })
