/**
 * The dashboard's pages. Hash URLs (`/#/analytics`), so any static file server can serve the
 * build without a rewrite rule for deep links.
 */
import { createHashRouter, Navigate } from "react-router"
import { RequireSession } from "./auth/RequireSession.tsx"
import { Shell } from "./layout/Shell.tsx"
import { LiveFeedProvider } from "./live/LiveFeed.tsx"
import { AnalyticsPage } from "./pages/AnalyticsPage.tsx"
import { ApiKeyPage } from "./pages/ApiKeyPage.tsx"
import { LivePage } from "./pages/LivePage.tsx"
import { OnboardingPage } from "./pages/OnboardingPage.tsx"
import { PlaygroundPage } from "./pages/PlaygroundPage.tsx"
import { ProvidersPage } from "./pages/ProvidersPage.tsx"
import { SignInPage } from "./pages/SignInPage.tsx"
import { SignUpPage } from "./pages/SignUpPage.tsx"
import { VibeAppsPage } from "./pages/VibeAppsPage.tsx"

export const router = createHashRouter([
  { path: "/sign-in", element: <SignInPage /> },
  { path: "/sign-up", element: <SignUpPage /> },
  {
    path: "/",
    element: (
      <RequireSession>
        <LiveFeedProvider>
          <Shell />
        </LiveFeedProvider>
      </RequireSession>
    ),
    children: [
      { index: true, element: <Navigate to="/analytics" replace /> },
      { path: "onboarding", element: <OnboardingPage /> },
      { path: "key", element: <ApiKeyPage /> },
      { path: "providers", element: <ProvidersPage /> },
      { path: "analytics", element: <AnalyticsPage /> },
      { path: "live", element: <LivePage /> },
      { path: "playground", element: <PlaygroundPage /> },
      { path: "vibe", element: <VibeAppsPage /> }
    ]
  },
  { path: "*", element: <Navigate to="/" replace /> }
])
