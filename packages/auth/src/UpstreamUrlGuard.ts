/**
 * Keeps user-supplied upstream URLs (an `openai-compatible` base URL) from reaching the operator's
 * own network (SSRF): only http(s), and every address the host resolves to must be a public
 * unicast address, unless the operator allows private upstreams (`ALLOW_PRIVATE_UPSTREAMS=true`,
 * needed for a local vLLM or Ollama; the default in local mode, `SWITCHYARD_LOCAL=true`).
 *
 * The control plane checks a URL when it is saved. A name can resolve differently later (DNS
 * rebinding), so the router should also connect through `lookupPublic`, which applies the same
 * rule to the addresses it actually connects to.
 */
import * as dns from "node:dns"
import { Config, Context, Data, Effect, Layer } from "effect"
import ipaddr from "ipaddr.js"

/** Why an upstream URL was refused; `message` is safe to show the user. */
export class UpstreamUrlRejected extends Data.TaggedError("UpstreamUrlRejected")<{
  readonly message: string
}> {}

/** Whether `address` is a public unicast address (IPv4-mapped IPv6 judged as the IPv4 it maps). */
export const isPublicAddress = (address: string): boolean => {
  if (!ipaddr.isValid(address)) return false
  // `process` unwraps ::ffff:a.b.c.d, so a mapped private address is judged as private.
  return ipaddr.process(address).range() === "unicast"
}

/** Resolves a host name to every address it has. */
export type Resolve = (host: string) => Promise<ReadonlyArray<string>>

const systemResolve: Resolve = (host) =>
  dns.promises.lookup(host, { all: true, verbatim: true }).then((found) => found.map((a) => a.address))

/** The URL guard. */
export class UpstreamUrlGuard extends Context.Tag("@switchyard/auth/UpstreamUrlGuard")<
  UpstreamUrlGuard,
  {
    /** The parsed URL if it may be used as an upstream. */
    readonly check: (url: string) => Effect.Effect<URL, UpstreamUrlRejected>
    /** Whether private upstreams are allowed (then `check` only validates the URL's form). */
    readonly allowPrivate: boolean
  }
>() {
  /** A guard with explicit settings (`resolve` replaces DNS in tests). */
  static readonly make = (options: { readonly allowPrivate: boolean; readonly resolve?: Resolve }) => {
    const resolve = options.resolve ?? systemResolve
    const check = (input: string) =>
      Effect.gen(function* () {
        const url = URL.canParse(input) ? new URL(input) : undefined
        if (url === undefined)
          return yield* new UpstreamUrlRejected({ message: "baseUrl must be an absolute URL" })
        if (url.protocol !== "http:" && url.protocol !== "https:") {
          return yield* new UpstreamUrlRejected({ message: "baseUrl must use http or https" })
        }
        if (options.allowPrivate) return url
        const host = url.hostname.replace(/^\[(.*)\]$/, "$1")
        const addresses = ipaddr.isValid(host)
          ? [host]
          : yield* Effect.tryPromise({
              try: () => resolve(host),
              catch: () => new UpstreamUrlRejected({ message: `baseUrl host ${host} does not resolve` })
            })
        if (addresses.length === 0) {
          return yield* new UpstreamUrlRejected({ message: `baseUrl host ${host} does not resolve` })
        }
        if (!addresses.every(isPublicAddress)) {
          return yield* new UpstreamUrlRejected({
            message: `baseUrl host ${host} is a loopback, private, link-local or otherwise non-public address; the operator can allow these with ALLOW_PRIVATE_UPSTREAMS=true`
          })
        }
        return url
      })
    return { check, allowPrivate: options.allowPrivate }
  }

  /** `ALLOW_PRIVATE_UPSTREAMS` (default: `SWITCHYARD_LOCAL`, else false). */
  static readonly layer: Layer.Layer<UpstreamUrlGuard> = Layer.effect(
    UpstreamUrlGuard,
    Effect.gen(function* () {
      const local = yield* Config.boolean("SWITCHYARD_LOCAL").pipe(Config.withDefault(false))
      const allowPrivate = yield* Config.boolean("ALLOW_PRIVATE_UPSTREAMS").pipe(Config.withDefault(local))
      return UpstreamUrlGuard.make({ allowPrivate })
    }).pipe(Effect.orDie)
  )
}

/**
 * A `dns.lookup` replacement for HTTP agents (`new undici.Agent({ connect: { lookup } })` or
 * `http.Agent`'s `lookup`): resolves as usual, then fails the connection if any address it would
 * use is not public. Closes the gap between checking a URL and connecting to it.
 */
export const lookupPublic: typeof dns.lookup = ((
  hostname: string,
  options: dns.LookupOptions | number | ((...args: Array<unknown>) => void),
  callback?: (...args: Array<unknown>) => void
) => {
  const cb = (typeof options === "function" ? options : callback) as (...args: Array<unknown>) => void
  const opts: dns.LookupOptions =
    typeof options === "object" ? options : typeof options === "number" ? { family: options } : {}
  dns.lookup(hostname, { ...opts, all: true }, (error, addresses) => {
    if (error) return cb(error)
    const refused = addresses.find((a) => !isPublicAddress(a.address))
    if (refused !== undefined) {
      return cb(
        Object.assign(new Error(`refusing to connect to non-public address for ${hostname}`), {
          code: "EPUBLICONLY"
        })
      )
    }
    if (opts.all) return cb(null, addresses)
    const first = addresses[0]!
    return cb(null, first.address, first.family)
  })
}) as typeof dns.lookup
