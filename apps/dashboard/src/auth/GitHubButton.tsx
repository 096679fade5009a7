/**
 * "Continue with GitHub", shown only when the control plane has GitHub sign-in configured.
 * better-auth sends the browser to GitHub and back to the dashboard.
 */
import { Button, Divider } from "@mantine/core"
import { useQuery } from "@tanstack/react-query"
import { useState } from "react"
import { useApp } from "../AppContext.tsx"

export const GitHubButton = () => {
  const { auth, controlPlane } = useApp()
  const [error, setError] = useState<string | undefined>(undefined)
  const methods = useQuery({
    queryKey: ["sign-in-methods"],
    queryFn: () => controlPlane.run((client) => client.auth.methods()),
    staleTime: Number.POSITIVE_INFINITY
  })
  if (methods.data?.github !== true) return null
  const signIn = async () => {
    const result = await auth.signIn.social({
      provider: "github",
      callbackURL: window.location.origin + window.location.pathname
    })
    if (result.error) setError(result.error.message ?? "GitHub sign-in failed")
  }
  return (
    <>
      <Divider label="or" labelPosition="center" />
      <Button variant="default" onClick={signIn}>
        Continue with GitHub
      </Button>
      {error && (
        <div role="alert" style={{ color: "var(--mantine-color-red-9)" }}>
          {error}
        </div>
      )}
    </>
  )
}
