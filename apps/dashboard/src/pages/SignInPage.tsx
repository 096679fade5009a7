/** Sign in with email and password (and GitHub when the control plane has it configured). */
import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from "@mantine/core"
import { type FormEvent, useState } from "react"
import { Link, Navigate } from "react-router"
import { useApp } from "../AppContext.tsx"
import { AuthFrame } from "../auth/AuthFrame.tsx"
import { GitHubButton } from "../auth/GitHubButton.tsx"

export const SignInPage = () => {
  const { auth } = useApp()
  const session = auth.useSession()
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    setBusy(true)
    setError(undefined)
    const result = await auth.signIn.email({
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? "")
    })
    setBusy(false)
    if (result.error) {
      setError(result.error.message ?? "Sign-in failed")
      return
    }
    // Once the session store has the new session, the page sends the user on (below).
    await session.refetch()
  }

  // Signed in (just now, or already): on to the app, whose guard picks onboarding if due.
  if (session.data) return <Navigate to="/" replace />

  return (
    <AuthFrame title="Sign in">
      <form onSubmit={submit} aria-label="Sign in">
        <Stack gap="sm">
          <TextInput name="email" type="email" label="Email" autoComplete="email" required />
          <PasswordInput name="password" label="Password" autoComplete="current-password" required />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
        </Stack>
      </form>
      <GitHubButton />
      <Text size="sm">
        No account yet?{" "}
        <Anchor component={Link} to="/sign-up">
          Create one
        </Anchor>
      </Text>
    </AuthFrame>
  )
}
