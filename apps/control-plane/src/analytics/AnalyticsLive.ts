/**
 * The `analytics` group of `ControlPlaneApi` (`/v1/analytics/*`), answered by the ledger from its
 * rollups. Needs `LedgerSql` (`LedgerDatabase.layer`: `LEDGER_PG_CONNECTION_STRING`, else the main
 * database) and the `Authentication` middleware.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { ControlPlaneApi } from "@switchyard/domain"
import { Analytics, analyticsHandlers } from "@switchyard/ledger"
import { Layer } from "effect"

/** The analytics handlers, reading the ledger database. */
export const AnalyticsLive = HttpApiBuilder.group(ControlPlaneApi, "analytics", analyticsHandlers).pipe(
  Layer.provide(Analytics.layerPg)
)
