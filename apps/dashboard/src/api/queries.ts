/**
 * TanStack Query hooks over the typed control-plane client: one query key per resource, so a
 * mutation invalidates exactly what it changed.
 */
import type { AnalyticsInterval } from "@switchyard/domain"
import { useQuery } from "@tanstack/react-query"
import { Effect } from "effect"
import { useApp } from "../AppContext.tsx"

export const queryKeys = {
  apiKey: ["apikey"] as const,
  secrets: ["secrets"] as const,
  analytics: (interval: AnalyticsInterval) => ["analytics", interval] as const
}

/** The user's key (masked), or `null` when they have none yet. */
export const useApiKey = () => {
  const { controlPlane } = useApp()
  return useQuery({
    queryKey: queryKeys.apiKey,
    queryFn: () =>
      controlPlane.run((client) =>
        client.apikey.get().pipe(Effect.catchTag("ApiKeyNotFound", () => Effect.succeed(null)))
      )
  })
}

/** The user's provider credentials, without their secrets. */
export const useSecrets = () => {
  const { controlPlane } = useApp()
  return useQuery({
    queryKey: queryKeys.secrets,
    queryFn: () => controlPlane.run((client) => client.secret.list())
  })
}

/** Every analytics view of one interval, fetched together and refreshed every 5 s. */
export const useAnalytics = (interval: AnalyticsInterval) => {
  const { controlPlane } = useApp()
  return useQuery({
    queryKey: queryKeys.analytics(interval),
    queryFn: () =>
      controlPlane.run((client) => {
        const urlParams = { interval }
        return Effect.all(
          {
            overview: client.analytics.overview({ urlParams }),
            timeseries: client.analytics.timeseries({ urlParams }),
            latency: client.analytics.latency({ urlParams }),
            cost: client.analytics.cost({ urlParams }),
            errors: client.analytics.errors({ urlParams })
          },
          { concurrency: "unbounded" }
        )
      }),
    refetchInterval: 5_000,
    placeholderData: (previous) => previous
  })
}
