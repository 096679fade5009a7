/**
 * The router's documentation, from its contract (`RouterApi` in `@switchyard/domain`): the OpenAPI
 * document at `/openapi.json`, Swagger UI at `/docs` (self-contained) and ReDoc at `/redoc` (seed
 * 003's pair; ReDoc's script comes from the jsDelivr CDN, as FastAPI serves it). Loaded on the first
 * request for one of them (Swagger UI's script is large).
 */
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as OpenApi from "@effect/platform/OpenApi"
import { RouterApi } from "@switchyard/domain"
import { Layer } from "effect"

/** The OpenAPI document. */
export const spec = OpenApi.fromApi(RouterApi)

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** ReDoc's page, reading `/openapi.json` of the same origin. */
const redoc = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>${escapeHtml(spec.info.title)} - ReDoc</title>
  <style>body { margin: 0; padding: 0; }</style>
</head>
<body>
  <redoc spec-url="/openapi.json"></redoc>
  <script src="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"></script>
</body>
</html>`

const routes = Layer.mergeAll(
  HttpApiSwagger.layerHttpLayerRouter({ api: RouterApi, path: "/docs" }),
  HttpLayerRouter.add("GET", "/openapi.json", HttpServerResponse.unsafeJson(spec)),
  HttpLayerRouter.add("GET", "/redoc", HttpServerResponse.html(redoc))
)

/** The web handler of the three routes. */
export const build = () => HttpLayerRouter.toWebHandler(routes, { disableLogger: true })
