/**
 * The client's network address, as better-auth's rate limiter should see it.
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Option } from "effect"

/** The socket's remote address (proxies are not trusted: a client could forge their headers). */
export const clientAddress = (request: HttpServerRequest.HttpServerRequest): string =>
  Option.getOrElse(request.remoteAddress, () => "unknown")
