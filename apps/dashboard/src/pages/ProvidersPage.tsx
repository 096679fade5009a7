/**
 * The user's provider credentials (bring your own key): add or replace one per provider
 * (OpenAI-compatible servers with their base URL), enable or disable, delete. A secret only
 * travels inward: the page shows its last four characters, never the secret.
 */
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Loader,
  Modal,
  Stack,
  Switch,
  Table,
  Text,
  Title
} from "@mantine/core"
import type { ProviderId, SecretView } from "@switchyard/domain"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useState } from "react"
import { useApp } from "../AppContext.tsx"
import type { ApiError } from "../api/ApiError.ts"
import { queryKeys, useSecrets } from "../api/queries.ts"
import { CredentialForm } from "../components/CredentialForm.tsx"
import { providerLabel } from "../components/providers.ts"
import { formatDateTime } from "../format.ts"

export const ProvidersPage = () => {
  const secrets = useSecrets()
  return (
    <Stack gap="md" maw={960}>
      <Title order={2}>Provider credentials</Title>
      <Text c="dimmed" size="sm">
        Your own provider keys are used before the platform's. They are stored encrypted and never shown
        again.
      </Text>
      <CredentialForm />
      <Card withBorder component="section" aria-labelledby="stored-title">
        <Title order={3} size="h4" id="stored-title" mb="sm">
          Stored credentials
        </Title>
        {secrets.isPending ? (
          <Loader aria-label="Loading credentials" />
        ) : secrets.isError ? (
          <Alert color="red" role="alert">
            {secrets.error.message}
          </Alert>
        ) : secrets.data.length === 0 ? (
          <Text c="dimmed">No credentials yet: requests use the platform's keys where it has them.</Text>
        ) : (
          <CredentialsTable secrets={secrets.data} />
        )}
      </Card>
    </Stack>
  )
}

const CredentialsTable = ({ secrets }: { readonly secrets: ReadonlyArray<SecretView> }) => {
  const { controlPlane } = useApp()
  const queryClient = useQueryClient()
  const [deleting, setDeleting] = useState<ProviderId | undefined>(undefined)
  const invalidate = () => queryClient.invalidateQueries({ queryKey: queryKeys.secrets })

  const setEnabled = useMutation<unknown, ApiError, { provider: ProviderId; enabled: boolean }>({
    mutationFn: ({ provider, enabled }) =>
      controlPlane.run((client) => client.secret.setEnabled({ path: { provider }, payload: { enabled } })),
    onSettled: invalidate
  })
  const remove = useMutation<unknown, ApiError, ProviderId>({
    mutationFn: (provider) => controlPlane.run((client) => client.secret.remove({ path: { provider } })),
    onSuccess: () => setDeleting(undefined),
    onSettled: invalidate
  })

  return (
    <>
      <Table.ScrollContainer minWidth={560}>
        <Table striped verticalSpacing="sm" aria-label="Stored credentials">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Provider</Table.Th>
              <Table.Th>Key</Table.Th>
              <Table.Th>Updated</Table.Th>
              <Table.Th>Enabled</Table.Th>
              <Table.Th>
                <span className="mantine-visually-hidden">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {secrets.map((secret) => (
              <Table.Tr key={secret.provider} data-testid={`credential-${secret.provider}`}>
                <Table.Td>
                  <Text fw={600}>{providerLabel(secret.provider)}</Text>
                  {secret.baseUrl && (
                    <Text size="xs" c="dimmed" style={{ wordBreak: "break-all" }}>
                      {secret.baseUrl}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text ff="monospace">…{secret.last4}</Text>
                </Table.Td>
                <Table.Td>{formatDateTime(secret.updatedAt)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Switch
                      aria-label={`${providerLabel(secret.provider)} enabled`}
                      checked={secret.enabled}
                      onChange={(event) =>
                        setEnabled.mutate({ provider: secret.provider, enabled: event.currentTarget.checked })
                      }
                    />
                    {!secret.enabled && (
                      <Badge color="gray.8" variant="filled">
                        Off
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Button
                    size="xs"
                    variant="outline"
                    color="red.9"
                    onClick={() => setDeleting(secret.provider)}
                    aria-label={`Delete the ${providerLabel(secret.provider)} credential`}
                  >
                    Delete
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {setEnabled.error && (
        <Alert color="red" role="alert" mt="sm">
          {setEnabled.error.message}
        </Alert>
      )}
      <Modal
        opened={deleting !== undefined}
        onClose={() => setDeleting(undefined)}
        title="Delete this credential?"
        centered
      >
        <Stack>
          <Text>
            Requests to {deleting ? providerLabel(deleting) : ""} will use the platform's key, if it has one,
            or be refused.
          </Text>
          {remove.error && (
            <Alert color="red" role="alert">
              {remove.error.message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(undefined)}>
              Cancel
            </Button>
            <Button
              color="red.9"
              loading={remove.isPending}
              onClick={() => deleting && remove.mutate(deleting)}
            >
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  )
}
