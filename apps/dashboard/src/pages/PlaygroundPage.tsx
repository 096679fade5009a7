/**
 * Chat with any model the key can reach, through the router, streamed as it arrives; then what
 * it used and what it cost (the cost comes from the live feed's usage event for that request).
 */
import { Alert, Button, Card, Group, Loader, NativeSelect, Stack, Text, Textarea, Title } from "@mantine/core"
import { useQuery } from "@tanstack/react-query"
import { type FormEvent, useRef, useState } from "react"
import { useApp } from "../AppContext.tsx"
import { useRevealedKey } from "../auth/RevealedKey.tsx"
import { KeyInput } from "../components/KeyInput.tsx"
import { formatMicros } from "../format.ts"
import { type ChatResult, listModels, streamChat } from "../gateway/RouterApi.ts"
import { useLiveFeed } from "../live/LiveFeed.tsx"

/** The reachable models of `key` (none without a key). */
export const useModels = (key: string | undefined) => {
  const { config } = useApp()
  return useQuery({
    queryKey: ["models", key],
    queryFn: () => listModels(config.routerUrl, key!),
    enabled: key !== undefined && key.length > 0,
    retry: false
  })
}

export const PlaygroundPage = () => {
  const { config } = useApp()
  const { key } = useRevealedKey()
  const models = useModels(key)
  const live = useLiveFeed()
  const [model, setModel] = useState<string | undefined>(undefined)
  const [answer, setAnswer] = useState("")
  const [result, setResult] = useState<ChatResult | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [streaming, setStreaming] = useState(false)
  const abort = useRef<AbortController | undefined>(undefined)
  const chosen = model ?? models.data?.[0]?.id

  const send = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const prompt = String(new FormData(event.currentTarget).get("prompt") ?? "").trim()
    if (!key || !chosen || prompt === "") return
    abort.current = new AbortController()
    setStreaming(true)
    setAnswer("")
    setResult(undefined)
    setError(undefined)
    try {
      setResult(
        await streamChat({
          routerUrl: config.routerUrl,
          key,
          model: chosen,
          prompt,
          onText: setAnswer,
          signal: abort.current.signal
        })
      )
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : String(cause))
    } finally {
      setStreaming(false)
    }
  }

  const usage = result?.requestId ? live.find(result.requestId) : undefined

  return (
    <Stack gap="md" maw={860}>
      <Title order={2}>Playground</Title>
      <Card withBorder>
        <form onSubmit={send} aria-label="Chat">
          <Stack gap="sm">
            <KeyInput />
            {models.isError && (
              <Alert color="red" role="alert">
                {models.error.message}
              </Alert>
            )}
            <NativeSelect
              label="Model"
              disabled={!models.data || models.data.length === 0}
              data={(models.data ?? []).map((m) => ({ value: m.id, label: `${m.id} (${m.provider})` }))}
              value={chosen ?? ""}
              onChange={(event) => setModel(event.currentTarget.value)}
              description={models.isFetching ? "Loading the models your key can reach…" : undefined}
            />
            <Textarea name="prompt" label="Message" autosize minRows={3} maxRows={10} required />
            <Group>
              <Button type="submit" loading={streaming} disabled={!key || !chosen}>
                Send
              </Button>
              {streaming && (
                <Button variant="default" onClick={() => abort.current?.abort()}>
                  Stop
                </Button>
              )}
            </Group>
          </Stack>
        </form>
      </Card>
      {error && (
        <Alert color="red" role="alert" title="The router refused the request">
          {error}
        </Alert>
      )}
      {(answer || streaming) && (
        <Card withBorder component="section" aria-label="Answer">
          <Stack gap="xs">
            <Text size="sm" fw={600}>
              Answer {streaming && <Loader size="xs" aria-label="Streaming" />}
            </Text>
            <Text data-testid="playground-answer" aria-live="polite" style={{ whiteSpace: "pre-wrap" }}>
              {answer}
            </Text>
            {result && (
              <Text size="sm" c="dimmed" data-testid="playground-usage">
                {result.usage
                  ? `${result.usage.prompt_tokens} prompt + ${result.usage.completion_tokens} completion tokens`
                  : "No usage reported"}
                {" · "}
                {usage
                  ? `cost ${formatMicros(usage.costMicros)}`
                  : live.connected
                    ? "cost: waiting for the usage event…"
                    : "cost: shown when the live feed is connected"}
              </Text>
            )}
          </Stack>
        </Card>
      )}
    </Stack>
  )
}
