/**
 * Serves the router's web handler: with `Bun.serve` itself under bun (production, benchmark), and
 * with srvx's fast Node adapter under Node 20 (tests). srvx also runs on bun, but there it decorates
 * every request (three `Object.defineProperties`) and wraps every answer in one more promise: work
 * the router never uses, on its hottest path. An uncaught throw answers in OpenAI's error format,
 * never an HTML page.
 */
import { serve } from "srvx"
import { unhandledError } from "./ClientError.ts"

/** Options of `start`. */
export interface StartOptions {
  readonly port: number
  readonly hostname?: string
  /** A Unix socket path to listen on instead of the port (bun only: the owning thread's listener). */
  readonly unix?: string
  /**
   * The gateway's body limit. The handlers answer 413 in the client's format; the server itself
   * only refuses bodies over twice the limit (Bun answers those with an empty 413 before any
   * handler runs), so memory stays bounded whatever a client sends.
   */
  readonly maxBodyBytes: number
}

/** A listening server. */
export interface Listening {
  /** e.g. `http://127.0.0.1:8080/` */
  readonly url: string
  /**
   * Stops accepting connections; resolves once the requests in flight have finished, or at once
   * when `force` cuts them.
   */
  readonly close: (force: boolean) => Promise<void>
}

/** The answer to an error no handler caught. */
export const onError = unhandledError("openai")

/**
 * Bun closes a connection silent for `idleTimeout` (10 s by default), which would cut a stream
 * whose upstream is thinking. A streamed answer is therefore exempt (`server.timeout(request, 0)`,
 * called by whoever answers with a stream): the relay's own `UPSTREAM_IDLE_TIMEOUT_MS` governs it,
 * and ends it with an error event the client can read. Everything else (reading requests: slow
 * clients) keeps Bun's timeout.
 */
const bunServers = new Set<Bun.Server<unknown>>()

/** Lifts Bun's idle timeout for a request whose answer is a stream (no-op under Node: none there). */
export const exemptFromIdleTimeout = (request: Request): void => {
  for (const server of bunServers) {
    try {
      server.timeout(request, 0)
      return
    } catch {
      // Another server's request (tests run several): try the next.
    }
  }
}

/**
 * The client's address as the socket gives it (proxies' headers are not trusted: a client could
 * forge them), when the server that took the request knows it.
 */
export const clientAddress = (request: Request): string | undefined => {
  // srvx (Node) puts it on the request.
  const ip = (request as { readonly ip?: unknown }).ip
  if (typeof ip === "string") return ip
  for (const server of bunServers) {
    try {
      const found = server.requestIP(request)
      if (found !== null) return found.address
    } catch {
      // Another server's request (tests run several): try the next.
    }
  }
  return undefined
}

const serveWithBun = (handler: (request: Request) => Promise<Response>, options: StartOptions): Listening => {
  const common = { fetch: handler, error: onError, maxRequestBodySize: options.maxBodyBytes * 2 + 1 }
  const server =
    options.unix !== undefined
      ? // The owning thread's listener, whose one client is the serving thread: no idle timeout, as
        // `timeout(request, 0)` does not lift it on a Unix socket (bun 1.4.5) and a stream answered
        // here would be cut after 10 s of silence. Slow clients meet the public port's timeout.
        // (Bun honours `idleTimeout` on a Unix socket; its types only declare it for ports.)
        Bun.serve({ ...common, unix: options.unix, ...({ idleTimeout: 0 } as object) })
      : Bun.serve({
          ...common,
          port: options.port,
          ...(options.hostname === undefined ? {} : { hostname: options.hostname })
        })
  bunServers.add(server)
  return {
    url: options.unix ?? server.url.href,
    close: (force) => {
      bunServers.delete(server)
      return server.stop(force)
    }
  }
}

const serveWithSrvx = async (
  handler: (request: Request) => Promise<Response>,
  options: StartOptions
): Promise<Listening> => {
  const server = serve({
    fetch: handler,
    error: onError,
    port: options.port,
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
    maxRequestBodySize: options.maxBodyBytes * 2 + 1,
    silent: true,
    // main.ts drains and disposes the runtime itself on SIGTERM/SIGINT.
    gracefulShutdown: false
  })
  await server.ready()
  // Node closes an idle keep-alive connection after 5 s, the moment a client may be sending its
  // next request on it (ECONNRESET, which SDKs without retries surface). Clients' own idle pools
  // (undici's 4 s, load balancers' 60 s) close first when the server waits longer.
  const nodeServer = server.node?.server
  if (nodeServer !== undefined && "keepAliveTimeout" in nodeServer) nodeServer.keepAliveTimeout = 65_000
  return {
    url: server.url ?? `http://localhost:${options.port}/`,
    close: (force) => {
      // Draining: a connection whose last answer has ended is closed at once, not after the
      // keep-alive timeout above.
      const idle = setInterval(() => {
        if (nodeServer !== undefined && "closeIdleConnections" in nodeServer)
          nodeServer.closeIdleConnections()
      }, 50)
      return server.close(force).finally(() => clearInterval(idle))
    }
  }
}

/** Starts listening; resolves once the server accepts connections. */
export const start = async (
  handler: (request: Request) => Promise<Response>,
  options: StartOptions
): Promise<Listening> =>
  typeof Bun === "undefined" ? serveWithSrvx(handler, options) : serveWithBun(handler, options)

/**
 * Stops accepting connections and waits for in-flight requests and streams to finish, at most
 * `graceMs`; then cuts whatever is left. Resolves true when everything finished in time.
 */
export const drain = async (server: Listening, graceMs: number): Promise<boolean> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs)
  })
  const finished = await Promise.race([server.close(false).then(() => true), timedOut])
  clearTimeout(timer)
  if (!finished) await server.close(true).catch(() => undefined)
  return finished
}
