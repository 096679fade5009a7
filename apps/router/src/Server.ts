/**
 * Serves the router's web handler with srvx: `Bun.serve` under bun (production, benchmark) and its
 * fast Node adapter under Node 20 (tests). An uncaught throw answers in OpenAI's error format,
 * never an HTML page.
 */
import { type Server, serve } from "srvx"
import { unhandledError } from "./ClientError.ts"

/** Options of `start`. */
export interface StartOptions {
  readonly port: number
  readonly hostname?: string
  /**
   * The gateway's body limit. The handlers answer 413 in the client's format; the server itself
   * only refuses bodies over twice the limit (Bun answers those with an empty 413 before any
   * handler runs), so memory stays bounded whatever a client sends.
   */
  readonly maxBodyBytes: number
}

/** The answer to an error no handler caught. */
export const onError = unhandledError("openai")

/** Starts listening; resolves once the server accepts connections. */
export const start = async (
  handler: (request: Request) => Promise<Response>,
  options: StartOptions
): Promise<Server> => {
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
  return server
}

/**
 * Stops accepting connections and waits for in-flight requests and streams to finish, at most
 * `graceMs`; then cuts whatever is left. Resolves true when everything finished in time.
 */
export const drain = async (server: Server, graceMs: number): Promise<boolean> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs)
  })
  const finished = await Promise.race([server.close(false).then(() => true), timedOut])
  clearTimeout(timer)
  if (!finished) await server.close(true).catch(() => undefined)
  return finished
}
