/**
 * The dashboard's entry: reads `config.json`, makes the control plane's typed client and
 * better-auth's client, then renders the app.
 */
import "@mantine/core/styles.css"
import "@mantine/charts/styles.css"
import { Alert, MantineProvider } from "@mantine/core"
import { QueryClient, QueryClientProvider } from "@tanstack/react-query"
import { StrictMode } from "react"
import { createRoot } from "react-dom/client"
import { RouterProvider } from "react-router"
import { AppContext, type AppServices } from "./AppContext.tsx"
import { makeControlPlane } from "./api/ControlPlane.ts"
import { makeAuthClient } from "./auth/AuthClient.ts"
import { RevealedKeyProvider } from "./auth/RevealedKey.tsx"
import { loadRuntimeConfig } from "./RuntimeConfig.ts"
import { router } from "./routes.tsx"
import { cssVariables, theme } from "./theme.ts"

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } }
})

const root = createRoot(document.getElementById("root")!)

const start = async (): Promise<AppServices> => {
  const config = await loadRuntimeConfig()
  const controlPlane = await makeControlPlane(config.controlPlaneUrl)
  return { config, controlPlane, auth: makeAuthClient(config.controlPlaneUrl) }
}

start().then(
  (services) =>
    root.render(
      <StrictMode>
        <MantineProvider theme={theme} cssVariablesResolver={cssVariables} defaultColorScheme="light">
          <QueryClientProvider client={queryClient}>
            <AppContext.Provider value={services}>
              <RevealedKeyProvider>
                <RouterProvider router={router} />
              </RevealedKeyProvider>
            </AppContext.Provider>
          </QueryClientProvider>
        </MantineProvider>
      </StrictMode>
    ),
  (error: unknown) =>
    root.render(
      <MantineProvider theme={theme}>
        <Alert color="red" title="The dashboard could not start" m="xl" role="alert">
          {error instanceof Error ? error.message : String(error)}
        </Alert>
      </MantineProvider>
    )
)
