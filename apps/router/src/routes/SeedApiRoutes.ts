/**
 * Seed 000's routes under the prefix its Laravel app served them on, `/api/v1/*`, so Dyad builds
 * that keep `/api` in their base URL work unchanged: the same handlers as `/v1/*`, with the seed's
 * error conventions (422 naming the field, 500 `server_error`; `SeedErrors.ts`) and its chat
 * validation (`SeedChatRoute.ts`). The health check is public, as in the seed.
 */
import type { FailedRequests } from "@switchyard/ledger"
import type { Vault } from "@switchyard/vault"
import type { GatewayContext } from "../GatewayContext.ts"
import type { HealthCheck } from "../Health.ts"
import type { ProviderHealth } from "../ProviderHealth.ts"
import type { ExtraRoutes } from "../Router.ts"
import * as FailedRequestRoute from "./FailedRequestRoute.ts"
import * as HealthRoute from "./HealthRoute.ts"
import * as SeedChatRoute from "./SeedChatRoute.ts"
import { withSeedErrors } from "./SeedErrors.ts"
import * as UserKeysRoute from "./UserKeysRoute.ts"

/** What the seed's routes are built from. */
export interface SeedApiServices {
  readonly vault: Vault["Type"]
  readonly failedRequests: FailedRequests["Type"]
  readonly health: HealthCheck["Type"]
  readonly providers: ProviderHealth
}

/** The prefix of seed 000's API. */
export const SEED_PREFIX = "/api/v1"

/** `METHOD path` → handler for seed 000's API under `/api/v1`. */
export const make = (ctx: GatewayContext, services: SeedApiServices): ExtraRoutes => ({
  [`GET ${SEED_PREFIX}/health`]: HealthRoute.make(ctx, services.health, services.providers),
  [`GET ${SEED_PREFIX}/user/ai-keys`]: withSeedErrors(UserKeysRoute.make(ctx, services.vault)),
  [`POST ${SEED_PREFIX}/chat/completions`]: withSeedErrors(SeedChatRoute.make(ctx)),
  [`POST ${SEED_PREFIX}/sync/failed-request`]: withSeedErrors(
    FailedRequestRoute.make(ctx, services.failedRequests)
  )
})

/** The seed's model route alone: it needs only the hot path's services (the serving thread serves it too). */
export const servingRoutes = (ctx: GatewayContext): ExtraRoutes => ({
  [`POST ${SEED_PREFIX}/chat/completions`]: withSeedErrors(SeedChatRoute.make(ctx))
})
