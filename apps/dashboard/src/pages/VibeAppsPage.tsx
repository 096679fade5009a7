/**
 * Vibe apps: create a small web app from a prompt, open it (on its own origin), edit it with a
 * follow-up message, read its history, delete it; through the vibe API's typed client.
 *
 * The vibe API (seed 004) has no "list my apps" route: the list here is the apps this browser
 * created or opened (their ids kept in local storage per user), each re-read from the API, so a
 * deleted or foreign id drops out.
 */
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  Loader,
  Stack,
  Text,
  Textarea,
  Title
} from "@mantine/core"
import { useLocalStorage } from "@mantine/hooks"
import { CreateAppRequest, type VibeAppStatus, WriteAppRequest } from "@switchyard/domain"
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query"
import { type Effect, Either, Schema } from "effect"
import { type FormEvent, useState } from "react"
import { useApp } from "../AppContext.tsx"
import { type ApiError, parseErrorFields } from "../api/ApiError.ts"
import { runVibe, type VibeClient } from "../api/VibeClient.ts"
import { formatDateTime } from "../format.ts"

const statusColor: Record<VibeAppStatus, string> = {
  creating: "blue.8",
  active: "teal.9",
  failed: "red.9",
  stopped: "gray.8"
}

/** Calls the vibe API as the signed-in user. */
const useVibe = () => {
  const { auth, config } = useApp()
  const session = auth.useSession().data
  const token = session?.session.token
  const userId = session?.user.id ?? "anonymous"
  const run = <A, E>(call: (client: VibeClient) => Effect.Effect<A, E>) => {
    if (token === undefined) return Promise.reject(new Error("Not signed in"))
    return runVibe(config.vibeUrl, token, call)
  }
  return { run, ready: token !== undefined, userId }
}

export const VibeAppsPage = () => {
  const vibe = useVibe()
  const queryClient = useQueryClient()
  const [ids, setIds] = useLocalStorage<ReadonlyArray<string>>({
    key: `switchyard.vibe-apps.${vibe.userId}`,
    defaultValue: []
  })
  const [error, setError] = useState<string | undefined>(undefined)

  const create = useMutation<string, ApiError, CreateAppRequest>({
    mutationFn: async (payload) => (await vibe.run((client) => client.apps.create({ payload }))).app_id,
    onSuccess: (id) => setIds((previous) => [id, ...previous.filter((known) => known !== id)])
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = event.currentTarget
    const decoded = Schema.decodeUnknownEither(CreateAppRequest)({
      prompt: String(new FormData(form).get("prompt") ?? "")
    })
    if (Either.isLeft(decoded)) {
      setError(Object.values(parseErrorFields(decoded.left))[0])
      return
    }
    setError(undefined)
    create.mutate(decoded.right, { onSuccess: () => form.reset() })
  }

  const apps = useQueries({
    queries: ids.map((id) => ({
      queryKey: ["vibe-app", id],
      queryFn: () => vibe.run((client) => client.apps.get({ path: { app_id: id } })),
      enabled: vibe.ready,
      retry: false
    }))
  })
  const forget = (id: string) => {
    setIds((previous) => previous.filter((known) => known !== id))
    queryClient.removeQueries({ queryKey: ["vibe-app", id] })
  }

  return (
    <Stack gap="md" maw={900}>
      <Title order={2}>Vibe apps</Title>
      <Text c="dimmed" size="sm">
        Describe a small web app; it is generated through your router and served on its own origin.
      </Text>
      <Card withBorder component="section" aria-labelledby="new-app-title">
        <form onSubmit={submit} aria-label="Create an app">
          <Stack gap="sm">
            <Title order={3} size="h4" id="new-app-title">
              New app
            </Title>
            <Textarea
              name="prompt"
              label="What should it be?"
              placeholder="A meditation timer with sparkles"
              autosize
              minRows={2}
              error={error ?? (create.error ? create.error.message : undefined)}
            />
            <Group>
              <Button type="submit" loading={create.isPending}>
                Create app
              </Button>
              {create.isPending && <Text size="sm">Generating… this can take a minute.</Text>}
            </Group>
          </Stack>
        </form>
      </Card>
      {ids.length === 0 ? (
        <Text c="dimmed">No apps yet.</Text>
      ) : (
        ids.map((id, index) => {
          const app = apps[index]
          if (app?.isError) {
            return (
              <Alert key={id} color="yellow" role="alert" withCloseButton onClose={() => forget(id)}>
                {id}: {app.error.message}
              </Alert>
            )
          }
          if (!app?.data) return <Loader key={id} aria-label={`Loading ${id}`} />
          return <VibeAppCard key={id} app={app.data} onDeleted={() => forget(id)} />
        })
      )}
    </Stack>
  )
}

interface AppView {
  readonly app_id: string
  readonly status: VibeAppStatus
  readonly url: string
  readonly created_at: string
  readonly updated_at: string
}

const VibeAppCard = ({ app, onDeleted }: { readonly app: AppView; readonly onDeleted: () => void }) => {
  const vibe = useVibe()
  const queryClient = useQueryClient()
  const [confirming, setConfirming] = useState(false)
  const [editError, setEditError] = useState<string | undefined>(undefined)
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["vibe-app", app.app_id] })
    void queryClient.invalidateQueries({ queryKey: ["vibe-history", app.app_id] })
  }
  const history = useQuery({
    queryKey: ["vibe-history", app.app_id],
    queryFn: () => vibe.run((client) => client.apps.history({ path: { app_id: app.app_id } })),
    enabled: vibe.ready
  })
  const edit = useMutation<unknown, ApiError, WriteAppRequest>({
    mutationFn: (payload) =>
      vibe.run((client) => client.apps.write({ path: { app_id: app.app_id }, payload })),
    onSettled: refresh
  })
  const remove = useMutation<unknown, ApiError>({
    mutationFn: () => vibe.run((client) => client.apps.remove({ path: { app_id: app.app_id } })),
    onSuccess: onDeleted
  })

  const submitEdit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = event.currentTarget
    const decoded = Schema.decodeUnknownEither(WriteAppRequest)({
      text: String(new FormData(form).get("text") ?? "")
    })
    if (Either.isLeft(decoded)) {
      setEditError(Object.values(parseErrorFields(decoded.left))[0])
      return
    }
    setEditError(undefined)
    edit.mutate(decoded.right, { onSuccess: () => form.reset() })
  }

  const messages = history.data?.message_history ?? []
  const lastEdit = messages.findLast((message) => message.type === "user")
  return (
    <Card
      withBorder
      component="article"
      aria-label={`App ${app.app_id}`}
      data-testid={`vibe-app-${app.app_id}`}
    >
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Text ff="monospace" fw={600}>
            {app.app_id}
          </Text>
          <Badge color={statusColor[app.status]} variant="filled">
            {app.status}
          </Badge>
        </Group>
        <Text size="sm" c="dimmed">
          Created {formatDateTime(new Date(app.created_at))} · updated{" "}
          {formatDateTime(new Date(app.updated_at))}
        </Text>
        {messages[0] && <Text size="sm">“{messages[0].content}”</Text>}
        {lastEdit && lastEdit !== messages[0] && (
          <Text size="sm" data-testid="vibe-last-edit">
            Last change: “{lastEdit.content}”
          </Text>
        )}
        <Group>
          <Anchor href={app.url} target="_blank" rel="noopener noreferrer">
            Open the app
          </Anchor>
        </Group>
        <form onSubmit={submitEdit} aria-label={`Edit ${app.app_id}`}>
          <Group align="flex-end" wrap="wrap">
            <Textarea
              name="text"
              label="Change it"
              placeholder="Make the background blue"
              autosize
              minRows={1}
              style={{ flex: 1, minWidth: 200 }}
              error={editError ?? (edit.error ? edit.error.message : undefined)}
            />
            <Button type="submit" variant="light" loading={edit.isPending}>
              Apply
            </Button>
          </Group>
        </form>
        <Group>
          {confirming ? (
            <>
              <Text size="sm">Delete this app and its history?</Text>
              <Button size="xs" color="red.9" loading={remove.isPending} onClick={() => remove.mutate()}>
                Delete
              </Button>
              <Button size="xs" variant="default" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </>
          ) : (
            <Button size="xs" variant="outline" color="red.9" onClick={() => setConfirming(true)}>
              Delete app
            </Button>
          )}
        </Group>
        {remove.error && (
          <Alert color="red" role="alert">
            {remove.error.message}
          </Alert>
        )}
      </Stack>
    </Card>
  )
}
