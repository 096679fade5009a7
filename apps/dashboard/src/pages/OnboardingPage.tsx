/**
 * A new user's first run (`hasCompletedOnboarding` false): create the API key, make a first call
 * through the router with it, then on to the dashboard.
 */
import { Alert, Button, Card, Group, NativeSelect, Stack, Stepper, Text, Title } from "@mantine/core"
import { useMediaQuery } from "@mantine/hooks"
import { useState } from "react"
import { Navigate } from "react-router"
import { useApp } from "../AppContext.tsx"
import { useApiKey } from "../api/queries.ts"
import { useRevealedKey } from "../auth/RevealedKey.tsx"
import { FullKeyNotice } from "../components/FullKeyNotice.tsx"
import { KeyInput } from "../components/KeyInput.tsx"
import { streamChat } from "../gateway/RouterApi.ts"
import { useCreateKey } from "./ApiKeyPage.tsx"
import { useModels } from "./PlaygroundPage.tsx"

const FIRST_PROMPT = "Hello from Switchyard! Reply with one short sentence."

export const OnboardingPage = () => {
  const { auth } = useApp()
  const session = auth.useSession()
  const [step, setStep] = useState(0)
  // Side by side the steps need more than a phone's width.
  const narrow = useMediaQuery("(max-width: 36em)")
  const [finishing, setFinishing] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)

  const finish = async () => {
    setFinishing(true)
    const result = await auth.updateUser({ hasCompletedOnboarding: true })
    setFinishing(false)
    if (result.error) {
      setError(result.error.message ?? "Could not save your progress")
      return
    }
    // Once the session store has the flag, the page sends the user on (below).
    await session.refetch()
  }

  if (session.data?.user.hasCompletedOnboarding === true) return <Navigate to="/analytics" replace />

  return (
    <Stack gap="md" maw={820}>
      <Title order={2}>Welcome to Switchyard</Title>
      <Text c="dimmed">Two steps: your API key, then a first call through the router with it.</Text>
      <Stepper active={step} onStepClick={setStep} orientation={narrow ? "vertical" : "horizontal"} size="sm">
        <Stepper.Step label="API key" description="Create it">
          <KeyStep onDone={() => setStep(1)} />
        </Stepper.Step>
        <Stepper.Step label="First call" description="Through the router">
          <FirstCallStep onDone={() => setStep(2)} />
        </Stepper.Step>
        <Stepper.Completed>
          <Card withBorder>
            <Stack>
              <Text>Your key works. Your requests now show up in Analytics and Live requests.</Text>
              {error && (
                <Alert color="red" role="alert">
                  {error}
                </Alert>
              )}
              <Group>
                <Button onClick={finish} loading={finishing}>
                  Go to the dashboard
                </Button>
              </Group>
            </Stack>
          </Card>
        </Stepper.Completed>
      </Stepper>
      {step < 2 && (
        <Group>
          <Button variant="subtle" onClick={finish} loading={finishing}>
            Skip onboarding
          </Button>
        </Group>
      )}
    </Stack>
  )
}

const KeyStep = ({ onDone }: { readonly onDone: () => void }) => {
  const apiKey = useApiKey()
  const [fullKey, setFullKey] = useState<string | undefined>(undefined)
  const create = useCreateKey(setFullKey)
  return (
    <Card withBorder mt="md">
      <Stack>
        {fullKey ? (
          <FullKeyNotice value={fullKey} />
        ) : apiKey.data ? (
          <Text>
            You already have a key (<code>{apiKey.data.maskedKey}</code>). Paste it on the next step, or
            regenerate it on the API key page.
          </Text>
        ) : (
          <Text>Your key identifies you to the router. It is shown in full only once.</Text>
        )}
        {create.error && (
          <Alert color="red" role="alert">
            {create.error.message}
          </Alert>
        )}
        <Group>
          {!fullKey && apiKey.data === null && (
            <Button onClick={() => create.mutate()} loading={create.isPending}>
              Create my API key
            </Button>
          )}
          {(fullKey || apiKey.data) && <Button onClick={onDone}>Next: first call</Button>}
        </Group>
      </Stack>
    </Card>
  )
}

const FirstCallStep = ({ onDone }: { readonly onDone: () => void }) => {
  const { config } = useApp()
  const { key } = useRevealedKey()
  const models = useModels(key)
  const [model, setModel] = useState<string | undefined>(undefined)
  const [answer, setAnswer] = useState("")
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState(false)
  // The built-in echo model needs no provider key: the surest first call when it is on.
  const chosen = model ?? models.data?.find((m) => m.id === "mock/echo")?.id ?? models.data?.[0]?.id

  const call = async () => {
    if (!key || !chosen) return
    setBusy(true)
    setError(undefined)
    try {
      await streamChat({
        routerUrl: config.routerUrl,
        key,
        model: chosen,
        prompt: FIRST_PROMPT,
        onText: setAnswer
      })
      setDone(true)
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Card withBorder mt="md">
      <Stack>
        <KeyInput />
        {models.isError && (
          <Alert color="red" role="alert">
            {models.error.message}
          </Alert>
        )}
        {models.data && models.data.length === 0 && (
          <Alert color="yellow" role="alert">
            No model is reachable with this key yet: add a provider credential first.
          </Alert>
        )}
        <NativeSelect
          label="Model"
          data={(models.data ?? []).map((m) => m.id)}
          value={chosen ?? ""}
          onChange={(event) => setModel(event.currentTarget.value)}
          disabled={!models.data || models.data.length === 0}
        />
        <Text size="sm">
          Sends <q>{FIRST_PROMPT}</q>
        </Text>
        {answer && (
          <Text data-testid="first-call-answer" aria-live="polite" style={{ whiteSpace: "pre-wrap" }}>
            {answer}
          </Text>
        )}
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Group>
          <Button onClick={call} loading={busy} disabled={!key || !chosen}>
            Make my first call
          </Button>
          {done && <Button onClick={onDone}>Next</Button>}
        </Group>
      </Stack>
    </Card>
  )
}
