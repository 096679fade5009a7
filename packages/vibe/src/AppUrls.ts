/**
 * Where each app is served: its own origin, from a template with `{id}` in the host
 * (`VIBE_APPS_URL`, e.g. `https://{id}.apps.example.com`), by default
 * `http://{id}.apps.localhost:<apps port>` (browsers resolve `*.localhost` to loopback). The apps
 * server reads the id back from the `Host` header the same way.
 */
import { Context, Layer } from "effect"
import * as AppIds from "./AppIds.ts"

/** Urls of apps and ids of hosts. */
export interface AppUrlsShape {
  /** The app's url (its origin, with a trailing slash). */
  readonly urlOf: (appId: string) => string
  /** The app a `Host` header names, if it is one of ours. */
  readonly appIdOfHost: (host: string | undefined) => string | undefined
}

/** Checks a template: an http(s) URL whose host starts with `{id}.`. */
export const validateTemplate = (template: string): string | undefined => {
  const probe = template.replace("{id}", "sb-probe")
  if (!template.includes("{id}") || !URL.canParse(probe)) return "VIBE_APPS_URL must be a URL with {id} in it"
  const url = new URL(probe)
  if (!/^https?:$/.test(url.protocol)) return "VIBE_APPS_URL must be an http(s) URL"
  if (!url.hostname.startsWith("sb-probe."))
    return "VIBE_APPS_URL must start its host with {id}. (one origin per app)"
  return undefined
}

/** Urls from a template (already validated). */
export const fromTemplate = (template: string): AppUrlsShape => {
  const probe = new URL(template.replace("{id}", "sb-probe"))
  // Host names compare without the port: behind a proxy the apps server may see another one.
  const suffix = probe.hostname.slice("sb-probe".length).toLowerCase()
  const origin = `${probe.protocol}//`
  return {
    urlOf: (appId) => `${origin}${probe.host.replace("sb-probe", appId)}/`,
    appIdOfHost: (host) => {
      if (host === undefined) return undefined
      const name = host.toLowerCase().replace(/:\d+$/, "")
      if (!name.endsWith(suffix)) return undefined
      const id = name.slice(0, name.length - suffix.length)
      return AppIds.isAppId(id) ? id : undefined
    }
  }
}

/** The default template for an apps server listening on `port`. */
export const localTemplate = (port: number) => `http://{id}.apps.localhost:${port}`

/** The apps' urls as a service. */
export class AppUrls extends Context.Tag("@switchyard/vibe/AppUrls")<AppUrls, AppUrlsShape>() {
  /** From a template (see `validate`). */
  static readonly layer = (template: string) => Layer.succeed(AppUrls, fromTemplate(template))
  static readonly validate = validateTemplate
  static readonly fromTemplate = fromTemplate
  static readonly localTemplate = localTemplate
}
