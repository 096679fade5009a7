/** A table that fills in as the user's requests happen, from the realtime hub's `usage` events. */
import { Alert, Badge, Card, Group, Stack, Table, Text, Title } from "@mantine/core"
import { formatCount, formatMicros, formatMs, formatTime } from "../format.ts"
import { useLiveFeed } from "../live/LiveFeed.tsx"

export const LivePage = () => {
  const live = useLiveFeed()
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Live requests</Title>
        <Badge color={live.connected ? "teal.9" : "gray.8"} variant="filled" role="status">
          {live.connected ? "Connected" : "Not connected"}
        </Badge>
      </Group>
      {live.problem && (
        <Alert color="yellow" role="alert">
          {live.problem}
        </Alert>
      )}
      <Card withBorder>
        {live.events.length === 0 ? (
          <Text c="dimmed">Waiting for requests… each call made with your key appears here as it ends.</Text>
        ) : (
          <Table.ScrollContainer minWidth={720}>
            <Table striped aria-label="Live requests" data-testid="live-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Time</Table.Th>
                  <Table.Th>Model</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Tokens in / out</Table.Th>
                  <Table.Th>Cost</Table.Th>
                  <Table.Th>Latency</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {live.events.map((event) => (
                  <Table.Tr key={event.requestId} data-request-id={event.requestId}>
                    <Table.Td>{formatTime(new Date(event.createdAt))}</Table.Td>
                    <Table.Td>
                      {event.provider ? `${event.provider}/` : ""}
                      {event.upstreamModel ?? event.model}
                    </Table.Td>
                    <Table.Td>
                      <Badge color={event.status < 400 ? "teal.9" : "red.9"} variant="filled">
                        {event.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      {formatCount(event.inputTokens)} / {formatCount(event.outputTokens)}
                    </Table.Td>
                    <Table.Td>{formatMicros(event.costMicros)}</Table.Td>
                    <Table.Td>{formatMs(event.latencyMs)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
    </Stack>
  )
}
