/**
 * Shows its children to a signed-in user only: others go to sign-in, and a user who has not
 * finished onboarding (`hasCompletedOnboarding`) goes there first.
 */
import { Center, Loader } from "@mantine/core"
import type { ReactNode } from "react"
import { Navigate, useLocation } from "react-router"
import { useApp } from "../AppContext.tsx"

export const RequireSession = ({ children }: { readonly children: ReactNode }) => {
  const { auth } = useApp()
  const session = auth.useSession()
  const location = useLocation()
  if (session.isPending) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading your session" />
      </Center>
    )
  }
  if (session.data === null) return <Navigate to="/sign-in" replace state={{ from: location.pathname }} />
  if (session.data.user.hasCompletedOnboarding !== true && location.pathname !== "/onboarding") {
    return <Navigate to="/onboarding" replace />
  }
  return children
}
