/**
 * Turns a model's answer into the app's document: the HTML is taken out of the answer (a fenced
 * ```html block, else the text from `<!DOCTYPE html` to the last `</html>`), then checked with a
 * real HTML parser (parse5, the WHATWG algorithm browsers use) to be a standards-mode document
 * with something in its body, and to fit the size cap.
 */
import { Either } from "effect"
import { parse } from "parse5"

/** Why an answer is not an app; said to the user in the app's history. */
export type Rejection =
  | { readonly _tag: "NoDocument" }
  | { readonly _tag: "NotADocument"; readonly reason: string }
  | { readonly _tag: "TooLarge"; readonly bytes: number; readonly limit: number }

const FENCED = /```(?:html|HTML)?[ \t]*\r?\n([\s\S]*?)```/g

/** The HTML text in a model's answer, if any. */
export const extract = (answer: string): string | undefined => {
  for (const match of answer.matchAll(FENCED)) {
    const body = match[1]?.trim() ?? ""
    if (/^<!doctype html|^<html/i.test(body)) return body
  }
  const start = answer.search(/<!doctype html/i)
  const end = answer.toLowerCase().lastIndexOf("</html>")
  if (start === -1 || end === -1 || end < start) return undefined
  return answer.slice(start, end + "</html>".length).trim()
}

interface Node {
  readonly nodeName: string
  readonly childNodes?: ReadonlyArray<Node>
}

const childNamed = (node: Node | undefined, name: string) =>
  node?.childNodes?.find((child) => child.nodeName === name)

/** Checks an extracted document; returns it unchanged when it is fit to serve. */
export const check = (html: string, maxBytes: number): Either.Either<string, Rejection> => {
  const bytes = Buffer.byteLength(html, "utf8")
  if (bytes > maxBytes) return Either.left({ _tag: "TooLarge", bytes, limit: maxBytes })
  const document = parse(html)
  if (document.mode !== "no-quirks")
    return Either.left({ _tag: "NotADocument", reason: "it does not start with <!DOCTYPE html>" })
  const body = childNamed(childNamed(document as Node, "html"), "body")
  const content = body?.childNodes?.some((child) => !child.nodeName.startsWith("#")) ?? false
  if (!content) return Either.left({ _tag: "NotADocument", reason: "its body has no elements" })
  return Either.right(html)
}

/** `extract` then `check`. */
export const fromAnswer = (answer: string, maxBytes: number): Either.Either<string, Rejection> => {
  const html = extract(answer)
  return html === undefined ? Either.left({ _tag: "NoDocument" }) : check(html, maxBytes)
}

/** The rejection in one sentence, for the app's history and the 502 answer. */
export const describe = (rejection: Rejection): string => {
  switch (rejection._tag) {
    case "NoDocument":
      return "the model's answer held no HTML document"
    case "NotADocument":
      return `the model's answer is not a whole HTML document: ${rejection.reason}`
    case "TooLarge":
      return `the generated app is ${rejection.bytes} bytes, over the ${rejection.limit}-byte limit`
  }
}
