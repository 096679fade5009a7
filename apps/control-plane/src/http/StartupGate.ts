/**
 * The control plane's Node server, answering 503 until the app is ready. The port is bound as
 * soon as the process starts, but routes are only attached once migrations have run and every
 * layer is built; a request that arrived in between used to be accepted and never answered (a
 * load balancer's first probe, or a client without a timeout, waited forever).
 */
import { createServer, type Server } from "node:http"
import { ServiceUnavailable } from "@switchyard/domain"
import { Schema } from "effect"

const starting = JSON.stringify(
  Schema.encodeSync(ServiceUnavailable)(
    new ServiceUnavailable({ message: "The control plane is starting; try again in a moment" })
  )
)

/**
 * A server whose first `request` listener answers 503 for as long as it is the only one: once the
 * app's handler is attached (by `NodeHttpServer`), it stays silent.
 */
export const makeGatedServer = (): Server => {
  const server = createServer()
  server.on("request", (_request, response) => {
    if (server.listenerCount("request") > 1) return
    response.writeHead(503, {
      "content-type": "application/json",
      "retry-after": "1",
      "cache-control": "no-store",
      connection: "close"
    })
    response.end(starting)
  })
  return server
}
