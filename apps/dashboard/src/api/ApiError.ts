/**
 * One error shape for the UI, whatever failed: a contract error (`ApiKeyNotFound`,
 * `Unauthorized`…), a request the server's schema refused (`HttpApiDecodeError`, whose issues name
 * the fields), or the network.
 */
import { Cause, ParseResult } from "effect"

/** A message for one field, by its path (`limits.rpm`). */
export type FieldErrors = Readonly<Record<string, string>>

/** What the UI shows of a failed call. */
export class ApiError extends Error {
  constructor(
    /** The contract's error tag, `NetworkError` or `Unexpected`. */
    readonly tag: string,
    message: string,
    readonly fields: FieldErrors = {}
  ) {
    super(message)
  }
}

interface Issue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

/** `[{path, message}]` → `{ "a.b": message }` (the first message per field wins). */
export const fieldsOf = (issues: ReadonlyArray<Issue>): FieldErrors => {
  const fields: Record<string, string> = {}
  for (const issue of issues) {
    const key = issue.path.map(String).join(".")
    fields[key] ??= issue.message
  }
  return fields
}

/** The field errors of a schema failure, as the server's `HttpApiDecodeError` would list them. */
export const parseErrorFields = (error: ParseResult.ParseError): FieldErrors =>
  fieldsOf(ParseResult.ArrayFormatter.formatErrorSync(error))

const hasTag = (u: unknown): u is { readonly _tag: string; readonly message?: unknown } =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string"

/** Turns whatever a client call failed with into an `ApiError`. */
export const toApiError = (cause: Cause.Cause<unknown>): ApiError => {
  const failure = Cause.squash(cause)
  if (failure instanceof ApiError) return failure
  if (hasTag(failure)) {
    const message = typeof failure.message === "string" ? failure.message : failure._tag
    if (failure._tag === "HttpApiDecodeError" && "issues" in failure && Array.isArray(failure.issues)) {
      return new ApiError(failure._tag, message, fieldsOf(failure.issues as ReadonlyArray<Issue>))
    }
    if (failure._tag === "RequestError") {
      return new ApiError("NetworkError", "The control plane could not be reached. Is it running?")
    }
    if (failure._tag === "ResponseError") {
      return new ApiError("Unexpected", `The control plane answered unexpectedly (${message})`)
    }
    // `InvalidRequest` names its field.
    if ("field" in failure && typeof failure.field === "string") {
      return new ApiError(failure._tag, message, { [failure.field]: message })
    }
    return new ApiError(failure._tag, message)
  }
  return new ApiError("Unexpected", failure instanceof Error ? failure.message : String(failure))
}
