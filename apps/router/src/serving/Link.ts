/**
 * Questions and answers over `postMessage`, the same on both threads: `ask` posts a question with
 * an id and resolves with the reply carrying it; `answer` runs a handler for a question that
 * arrived and posts its reply. A failed answer carries an encoded `CrossingError`; anything else
 * that goes wrong in a handler is a defect, answered as a `GatewayError` 500 so no caller waits
 * forever.
 */
import { GatewayError } from "@switchyard/domain"
import { type CrossingError, decodeError, type EncodedError, encodeError, type Reply } from "./Protocol.ts"

/** A settled question: its value, or the error it failed with. */
export type Answer<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly error: CrossingError }

/** The asking side of a link. */
export interface Asker<Q> {
  readonly ask: <A>(question: Q) => Promise<Answer<A>>
  /** Settles the question a reply answers. */
  readonly received: (reply: Reply) => void
  /** Fails every question still waiting (the other thread is gone). */
  readonly abandon: (message: string) => void
}

export const makeAsker = <Q>(post: (message: { _tag: "Ask"; id: number; question: Q }) => void): Asker<Q> => {
  let sequence = 0
  const waiting = new Map<number, (answer: Answer<unknown>) => void>()
  return {
    ask: <A>(question: Q) =>
      new Promise<Answer<A>>((resolve) => {
        const id = ++sequence
        waiting.set(id, resolve as (answer: Answer<unknown>) => void)
        post({ _tag: "Ask", id, question })
      }),
    received: (reply) => {
      const resolve = waiting.get(reply.id)
      if (resolve === undefined) return
      waiting.delete(reply.id)
      resolve(
        reply.ok
          ? { ok: true, value: reply.value }
          : { ok: false, error: decodeError(reply.value as EncodedError) }
      )
    },
    abandon: (message) => {
      const error = new GatewayError({ status: 503, type: "api_error", message })
      for (const resolve of waiting.values()) resolve({ ok: false, error })
      waiting.clear()
    }
  }
}

/** Answers one question with `handler` and posts the reply. */
export const answer = <Q>(
  post: (reply: Reply) => void,
  id: number,
  question: Q,
  handler: (question: Q) => Promise<Answer<unknown>>
): void => {
  handler(question).then(
    (settled) =>
      post(
        settled.ok
          ? { _tag: "Reply", id, ok: true, value: settled.value }
          : { _tag: "Reply", id, ok: false, value: encodeError(settled.error) }
      ),
    (defect: unknown) => {
      console.error("router: a question between the threads failed", defect)
      const error = new GatewayError({ status: 500, type: "api_error", message: "Internal error" })
      post({ _tag: "Reply", id, ok: false, value: encodeError(error) })
    }
  )
}
