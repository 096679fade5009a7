/**
 * Tool call ids the translator makes up, and the Gemini thought signature they may carry.
 *
 * Gemini attaches a `thoughtSignature` to function-call parts and refuses a later turn whose
 * function calls come back without it. OpenAI and Anthropic clients have nowhere to keep it but
 * the tool call id, which they echo verbatim in the assistant turn and the tool result, so the
 * signature rides in the id (base64url, which keeps the id inside Anthropic's `[A-Za-z0-9_-]`).
 */

const SIGNATURE_MARK = "__sig_"

/** A fresh tool call id such as `call_3f2a…` (OpenAI) or `toolu_3f2a…` (Anthropic). */
export const newToolCallId = (prefix: "call_" | "toolu_"): string =>
  prefix + crypto.randomUUID().replaceAll("-", "").slice(0, 24)

/** `id` with a Gemini thought signature appended. */
export const withSignature = (id: string, signature: string): string =>
  id + SIGNATURE_MARK + signature.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")

/** Splits an id made by `withSignature` into the id and the standard base64 signature. */
export const splitSignature = (id: string): { id: string; signature: string | undefined } => {
  const at = id.lastIndexOf(SIGNATURE_MARK)
  if (at < 0) return { id, signature: undefined }
  const b64 = id
    .slice(at + SIGNATURE_MARK.length)
    .replaceAll("-", "+")
    .replaceAll("_", "/")
  return { id: id.slice(0, at), signature: b64 + "=".repeat((4 - (b64.length % 4)) % 4) }
}
