/**
 * Serves generated apps, each from its own origin (`<app_id>.apps.…`), never the API's or the
 * control plane's. The document is generated code, so the response locks it in: a
 * Content-Security-Policy that allows only inline code and the app's own origin (no network to
 * anywhere else, no framing by other sites, no plugins, no form posts elsewhere), `nosniff`, no
 * cookies set, no caching (a new version replaces the old one at the same URL). Stopped, failed
 * and unknown apps get a short page saying so.
 */
import { Effect } from "effect"
import { AppStore } from "./AppStore.ts"
import { AppUrls } from "./AppUrls.ts"

/** The policy every generated app is served under. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "manifest-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'"
].join("; ")

/** Headers of every answer from the apps origin. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store"
}

/** An answer of the apps server. */
export interface Page {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

const page = (status: number, title: string, text: string): Page => ({
  status,
  headers: { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8" },
  body: `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:100vh;margin:0;background:#f4f4f5;color:#27272a}main{max-width:32rem;padding:2rem;text-align:center}</style>
</head><body><main><h1 id="title">${title}</h1><p id="message">${text}</p></main></body></html>`
})

/** Pages for apps that cannot be shown. */
export const pages = {
  notFound: page(404, "App not found", "There is no app at this address. It may have been deleted."),
  stopped: page(
    503,
    "This app is stopped",
    "It was stopped after a period without use. Its owner can bring it back by sending it an edit."
  ),
  creating: page(503, "This app is being generated", "Reload this page in a few seconds."),
  failed: page(502, "This app could not be generated", "Its owner can try again by sending it an edit."),
  unavailable: page(503, "Apps are unavailable right now", "Reload this page in a little while.")
}

/** Answers one request to the apps origin. */
export const serve = (request: {
  readonly method: string
  readonly host: string | undefined
  readonly path: string
}) =>
  Effect.gen(function* () {
    const urls = yield* AppUrls
    const store = yield* AppStore
    if (request.method !== "GET" && request.method !== "HEAD")
      return {
        ...page(405, "Not allowed", "Apps are only read here."),
        headers: { ...pages.notFound.headers, allow: "GET, HEAD" }
      }
    const appId = urls.appIdOfHost(request.host)
    // Each app is one document, at its root.
    if (appId === undefined || (request.path !== "/" && request.path !== "/index.html")) return pages.notFound
    const found = yield* store.served(appId)
    if (found._tag === "None") return pages.notFound
    const { html, status } = found.value
    if (status === "stopped") return pages.stopped
    if (html === null) return status === "creating" ? pages.creating : pages.failed
    yield* store.touch(appId)
    return {
      status: 200,
      headers: { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8" },
      body: html
    }
  })
