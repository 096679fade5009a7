/** Create an account with email and password; onboarding follows. */
import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from "@mantine/core"
import { type FormEvent, useState } from "react"
import { Link, Navigate } from "react-router"
import { useApp } from "../AppContext.tsx"
import { AuthFrame } from "../auth/AuthFrame.tsx"
import { GitHubButton } from "../auth/GitHubButton.tsx"

/** better-auth's default minimum. */
const MIN_PASSWORD = 8

export const SignUpPage = () => {
  const { auth } = useApp()
  const session = auth.useSession()
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    setBusy(true)
    setError(undefined)
    const result = await auth.signUp.email({
      name: String(form.get("name") ?? ""),
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? "")
    })
    setBusy(false)
    if (result.error) {
      setError(result.error.message ?? "Sign-up failed")
      return
    }
    // Once the session store has the new session, the page sends the user on (below).
    await session.refetch()
  }

  // Signed in (just now, or already): on to the app, whose guard picks onboarding if due.
  if (session.data) return <Navigate to="/" replace />

  return (
    <AuthFrame title="Create your account">
      <form onSubmit={submit} aria-label="Create account">
        <Stack gap="sm">
          <TextInput name="name" label="Name" autoComplete="name" required />
          <TextInput name="email" type="email" label="Email" autoComplete="email" required />
          <PasswordInput
            name="password"
            label="Password"
            description={`At least ${MIN_PASSWORD} characters`}
            autoComplete="new-password"
            minLength={MIN_PASSWORD}
            required
          />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            Create account
          </Button>
        </Stack>
      </form>
      <GitHubButton />
      <Text size="sm">
        Already have an account?{" "}
        <Anchor component={Link} to="/sign-in">
          Sign in
        </Anchor>
      </Text>
    </AuthFrame>
  )
}
