/**
 * Where a call to a user-supplied base URL really goes (SSRF). The URL was checked when it was
 * saved and when its secret was cached, but a name can resolve elsewhere later (DNS rebinding), so
 * right before each call the host is resolved here, every address checked (public unicast only,
 * unless `ALLOW_PRIVATE_UPSTREAMS`), and the call made to the checked address itself:
 *
 * - http: the URL's host replaced by the address, the name sent as `Host`;
 * - https under bun: the same, with `tls.serverName` set to the name, so SNI and certificate
 *   verification still use the name;
 * - https under Node (tests and `node dist/main.js`): Node's fetch has neither option, so the call
 *   keeps the name, checked just before (a shorter window, not none: run the router under bun).
 *
 * Redirects are never followed (`redirect: "manual"` in `Upstream.ts`): a 3xx is an upstream error.
 * Answers are cached for `CACHE_MS`, so a name is resolved at most that often; a cached answer was
 * checked, and the call goes to it, so caching opens no window.
 */
import * as dns from "node:dns"
import { isIP } from "node:net"
import { isPublicAddress } from "@switchyard/auth"
import { GatewayError } from "@switchyard/domain"
import { Context } from "effect"

/** Resolves a host name to its addresses (a service so tests can answer like a rebinding DNS). */
export class UpstreamResolver extends Context.Tag("@switchyard/router/UpstreamResolver")<
  UpstreamResolver,
  (host: string) => Promise<ReadonlyArray<string>>
>() {
  /** The system's resolver. */
  static readonly system = (host: string): Promise<ReadonlyArray<string>> =>
    dns.promises.lookup(host, { all: true, verbatim: true }).then((found) => found.map((a) => a.address))
}

/** A call's destination: the URL to fetch and what keeps the name in the request. */
export interface Target {
  readonly url: string
  /** The `Host` header to send (the original name), when the URL names an address. */
  readonly host: string | undefined
  /** The name for SNI and certificate checks (bun's `tls.serverName`), for https by address. */
  readonly serverName: string | undefined
}

const CACHE_MS = 30_000
const CACHE_MAX = 10_000

const refused = (host: string) =>
  new GatewayError({
    status: 502,
    type: "api_error",
    code: "upstream_address_refused",
    message: `The base URL's host ${host} resolves to a loopback, private, link-local or otherwise non-public address; the operator can allow these with ALLOW_PRIVATE_UPSTREAMS=true`
  })

const unresolved = (host: string) =>
  new GatewayError({
    status: 502,
    type: "api_error",
    code: "upstream_unreachable",
    message: `The base URL's host ${host} does not resolve`
  })

const isBun = typeof Bun !== "undefined"

/** Makes the resolver of targets for one router. */
export const make = (resolve: (host: string) => Promise<ReadonlyArray<string>>, allowPrivate: boolean) => {
  const cache = new Map<string, { readonly address: string; readonly until: number }>()

  /** The checked address of `host`, or why there is none. */
  const addressOf = async (host: string): Promise<string | GatewayError> => {
    const now = Date.now()
    const hit = cache.get(host)
    if (hit !== undefined && hit.until > now) return hit.address
    let addresses: ReadonlyArray<string>
    try {
      addresses = await resolve(host)
    } catch {
      return unresolved(host)
    }
    if (addresses.length === 0) return unresolved(host)
    if (!allowPrivate && !addresses.every(isPublicAddress)) return refused(host)
    const address = addresses[0]!
    if (cache.size >= CACHE_MAX) cache.clear()
    cache.set(host, { address, until: now + CACHE_MS })
    return address
  }

  /** Where to send a call to `input` (a user-supplied base URL's endpoint). */
  return async (input: string): Promise<Target | GatewayError> => {
    const url = new URL(input)
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1")
    if (isIP(host) !== 0) {
      if (!allowPrivate && !isPublicAddress(host)) return refused(host)
      return { url: input, host: undefined, serverName: undefined }
    }
    const address = await addressOf(host)
    if (address instanceof GatewayError) return address
    if (url.protocol === "https:" && !isBun) return { url: input, host: undefined, serverName: undefined }
    const name = url.host
    url.hostname = address.includes(":") ? `[${address}]` : address
    return {
      url: url.href,
      host: name,
      serverName: url.protocol === "https:" ? host : undefined
    }
  }
}

/** The target resolver's type. */
export type Targets = ReturnType<typeof make>
