/** The headline figures of the window: requests, tokens, cost, error rate, p95 latency. */
import { Card, SimpleGrid, Text } from "@mantine/core"
import type { AnalyticsOverview } from "@switchyard/domain"
import { formatCount, formatMs, formatPercent, formatUsd } from "../../format.ts"

export const OverviewCards = ({ overview }: { readonly overview: AnalyticsOverview }) => {
  const cards = [
    { id: "requests", label: "Requests", value: formatCount(overview.total_requests) },
    { id: "tokens", label: "Tokens", value: formatCount(overview.tokens.total) },
    { id: "cost", label: "Cost", value: formatUsd(overview.total_cost_usd) },
    { id: "error-rate", label: "Error rate", value: formatPercent(overview.error_rate) },
    { id: "p95", label: "p95 latency", value: formatMs(overview.p95_latency_ms) }
  ]
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, md: 5 }} spacing="sm">
      {cards.map((card) => (
        <Card key={card.id} withBorder padding="sm" data-testid={`overview-${card.id}`}>
          <Text size="sm" c="dimmed">
            {card.label}
          </Text>
          <Text fw={700} fz="xl" data-testid={`overview-${card.id}-value`}>
            {card.value}
          </Text>
        </Card>
      ))}
    </SimpleGrid>
  )
}
