/**
 * The user's one API key: create it (shown in full once, with copy), see it masked afterwards,
 * regenerate it (after a confirmation), enable or disable it, and set its own limits.
 */
import { Alert, Badge, Button, Card, Group, Loader, Modal, Stack, Switch, Text, Title } from "@mantine/core"
import { useDisclosure } from "@mantine/hooks"
import type { ApiKeyView } from "@switchyard/domain"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { Redacted } from "effect"
import { useState } from "react"
import { useApp } from "../AppContext.tsx"
import type { ApiError } from "../api/ApiError.ts"
import { queryKeys, useApiKey } from "../api/queries.ts"
import { useRevealedKey } from "../auth/RevealedKey.tsx"
import { FullKeyNotice } from "../components/FullKeyNotice.tsx"
import { KeyLimitsForm } from "../components/KeyLimitsForm.tsx"
import { formatDateTime } from "../format.ts"

export const ApiKeyPage = () => {
  const apiKey = useApiKey()
  const [fullKey, setFullKey] = useState<string | undefined>(undefined)
  return (
    <Stack gap="md" maw={760}>
      <Title order={2}>API key</Title>
      <Text c="dimmed" size="sm">
        One key for every model: send it as <code>Authorization: Bearer …</code> to the router.
      </Text>
      {fullKey && <FullKeyNotice value={fullKey} />}
      {apiKey.isPending ? (
        <Loader aria-label="Loading your key" />
      ) : apiKey.isError ? (
        <Alert color="red" role="alert">
          {apiKey.error.message}
        </Alert>
      ) : apiKey.data === null ? (
        <NoKey onCreated={setFullKey} />
      ) : (
        <>
          <KeyCard view={apiKey.data} onRegenerated={setFullKey} />
          <KeyLimitsForm view={apiKey.data} />
        </>
      )}
    </Stack>
  )
}

/** Creates the key; the page shows it in full once. */
export const useCreateKey = (onCreated: (key: string) => void) => {
  const { controlPlane } = useApp()
  const queryClient = useQueryClient()
  const { setKey } = useRevealedKey()
  return useMutation<unknown, ApiError>({
    mutationFn: async () => {
      const created = await controlPlane.run((client) => client.apikey.create())
      const value = Redacted.value(created.key)
      setKey(value)
      onCreated(value)
      return created
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKey })
  })
}

const NoKey = ({ onCreated }: { readonly onCreated: (key: string) => void }) => {
  const create = useCreateKey(onCreated)
  return (
    <Card withBorder>
      <Stack gap="sm" align="flex-start">
        <Text>You have no API key yet.</Text>
        <Button onClick={() => create.mutate()} loading={create.isPending}>
          Create API key
        </Button>
        {create.error && (
          <Alert color="red" role="alert">
            {create.error.message}
          </Alert>
        )}
      </Stack>
    </Card>
  )
}

const KeyCard = (props: { readonly view: ApiKeyView; readonly onRegenerated: (key: string) => void }) => {
  const { controlPlane } = useApp()
  const queryClient = useQueryClient()
  const { setKey } = useRevealedKey()
  const [confirming, confirm] = useDisclosure(false)
  const { view } = props

  const regenerate = useMutation<unknown, ApiError>({
    mutationFn: async () => {
      const created = await controlPlane.run((client) => client.apikey.regenerate())
      const value = Redacted.value(created.key)
      setKey(value)
      props.onRegenerated(value)
      confirm.close()
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKey })
  })
  const setEnabled = useMutation<unknown, ApiError, boolean>({
    mutationFn: (enabled) => controlPlane.run((client) => client.apikey.update({ payload: { enabled } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKey })
  })

  return (
    <Card withBorder>
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Text ff="monospace" fw={600} data-testid="masked-key" style={{ wordBreak: "break-all" }}>
            {view.maskedKey}
          </Text>
          <Badge color={view.enabled ? "teal.9" : "gray.8"} variant="filled">
            {view.enabled ? "Enabled" : "Disabled"}
          </Badge>
        </Group>
        <Text size="sm" c="dimmed">
          Created {formatDateTime(view.createdAt)} · Last used{" "}
          {view.lastUsedAt ? formatDateTime(view.lastUsedAt) : "never"}
        </Text>
        <Switch
          label="Key enabled"
          description="A disabled key is refused by the router within a second."
          checked={view.enabled}
          disabled={setEnabled.isPending}
          onChange={(event) => setEnabled.mutate(event.currentTarget.checked)}
        />
        {setEnabled.error && (
          <Alert color="red" role="alert">
            {setEnabled.error.message}
          </Alert>
        )}
        <Group>
          <Button variant="outline" color="red.9" onClick={confirm.open}>
            Regenerate key
          </Button>
        </Group>
      </Stack>
      <Modal opened={confirming} onClose={confirm.close} title="Regenerate your API key?" centered>
        <Stack gap="md">
          <Text>
            The current key (<code>{view.maskedKey}</code>) stops working at once: every application using it
            will be refused until you give it the new key. Its limits are kept.
          </Text>
          {regenerate.error && (
            <Alert color="red" role="alert">
              {regenerate.error.message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={confirm.close}>
              Cancel
            </Button>
            <Button color="red.9" onClick={() => regenerate.mutate()} loading={regenerate.isPending}>
              Regenerate
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  )
}
