/**
 * Seed 003's `/auth/register`, `/auth/login` and `/auth/me`, on top of better-auth, and
 * `/auth/methods` (which sign-in methods are configured, for the dashboard). The bodies are the
 * auth package's (`@switchyard/auth/seed-auth`), shared with the router's `/auth/*`.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { seedAuthHandlers } from "@switchyard/auth/seed-auth"
import { ControlPlaneApi, CurrentUser } from "@switchyard/domain"
import { Effect } from "effect"
import { clientAddress } from "../http/ClientAddress.ts"

/** The auth group. */
export const AuthLive = HttpApiBuilder.group(ControlPlaneApi, "auth", (handlers) =>
  Effect.map(seedAuthHandlers(clientAddress), (seed) =>
    handlers
      .handle("register", ({ payload }) => seed.register(payload))
      .handle("login", ({ payload }) => seed.login(payload))
      .handle("me", () => CurrentUser)
      .handle("methods", seed.methods)
  )
)
