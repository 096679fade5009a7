/**
 * The apps origin (`VIBE_APPS_PORT`, 8091): serves each generated app at `<app_id>.apps.…`, on a
 * listener of its own so nothing of the API (routes, CORS, credentials) is reachable from an app's
 * origin. Provides `AppUrls`: from `VIBE_APPS_URL`, else `http://{id}.apps.localhost:<port>`.
 */
import { createServer } from "node:http"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { NodeHttpServer } from "@effect/platform-node"
import { AppServing, AppUrls } from "@switchyard/vibe"
import { Config, ConfigError, Effect, Layer, Option } from "effect"

const app = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const page = yield* AppServing.serve({
    method: request.method,
    host: request.headers.host,
    path: new URL(request.url, "http://apps").pathname
  }).pipe(Effect.catchAll(() => Effect.succeed(AppServing.pages.unavailable)))
  return HttpServerResponse.text(page.body, {
    status: page.status,
    headers: page.headers,
    contentType: page.headers["content-type"] ?? "text/html; charset=utf-8"
  })
})

const urls = Layer.effect(
  AppUrls,
  Effect.gen(function* () {
    const template = yield* Config.option(Config.string("VIBE_APPS_URL"))
    if (Option.isSome(template)) {
      const problem = AppUrls.validate(template.value)
      if (problem !== undefined)
        return yield* Effect.fail(ConfigError.InvalidData(["VIBE_APPS_URL"], problem))
      return AppUrls.of(AppUrls.fromTemplate(template.value))
    }
    const address = (yield* HttpServer.HttpServer).address as HttpServer.TcpAddress
    return AppUrls.of(AppUrls.fromTemplate(AppUrls.localTemplate(address.port)))
  })
)

/** Listener for the apps origin. */
const listener = Layer.unwrapEffect(
  Effect.map(Config.port("VIBE_APPS_PORT").pipe(Config.withDefault(8091)), (port) =>
    NodeHttpServer.layer(createServer, { port })
  )
)

/** Serves the apps on a listener; provides their urls. */
export const AppsServerOn = <E>(server: Layer.Layer<HttpServer.HttpServer, E>) =>
  HttpServer.serve(app).pipe(Layer.provideMerge(urls), Layer.provide(server))

/** On `VIBE_APPS_PORT`. */
export const AppsServer = AppsServerOn(listener)
