/**
 * `GET /redoc`: ReDoc over the contract's `/openapi.json` (what FastAPI serves, as the seed had).
 * ReDoc's script comes from its CDN, as FastAPI's page does; Swagger UI at `/docs` is bundled.
 */
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"

const page = HttpServerResponse.html(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard vibe apps - ReDoc</title>
<style>body{margin:0}</style>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="https://cdn.redoc.ly/redoc/v2.5.2/bundles/redoc.standalone.js"></script>
</body>
</html>`)

export const RedocRoute = HttpLayerRouter.add("GET", "/redoc", Effect.succeed(page))
