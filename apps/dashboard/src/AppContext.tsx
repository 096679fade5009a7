/**
 * The services every page uses, made once at start-up from `config.json`: the control plane's
 * typed client, better-auth's client, and where the router, the realtime hub and the vibe API are.
 */
import { createContext, useContext } from "react"
import type { ControlPlane } from "./api/ControlPlane.ts"
import type { AuthClient } from "./auth/AuthClient.ts"
import type { RuntimeConfig } from "./RuntimeConfig.ts"

/** What `useApp()` returns. */
export interface AppServices {
  readonly config: RuntimeConfig
  readonly controlPlane: ControlPlane
  readonly auth: AuthClient
}

export const AppContext = createContext<AppServices | undefined>(undefined)

/** The app's services; only valid under `<AppContext.Provider>`. */
export const useApp = (): AppServices => {
  const services = useContext(AppContext)
  if (services === undefined) throw new Error("useApp outside <AppContext.Provider>")
  return services
}
