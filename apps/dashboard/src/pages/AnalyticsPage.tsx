/**
 * Usage analytics over 15 minutes, 1 hour, 1 day or 7 days: overview cards, then charts of
 * requests and cost over time, latency percentiles per model, cost per model and provider, and
 * errors by status and provider. Refreshed every few seconds.
 */
import { Alert, Group, SegmentedControl, SimpleGrid, Skeleton, Stack, Text, Title } from "@mantine/core"
import type { AnalyticsInterval } from "@switchyard/domain"
import { useState } from "react"
import { useAnalytics } from "../api/queries.ts"
import { CostCharts } from "../components/analytics/CostCharts.tsx"
import { ErrorCharts } from "../components/analytics/ErrorCharts.tsx"
import { LatencyChart } from "../components/analytics/LatencyChart.tsx"
import { OverviewCards } from "../components/analytics/OverviewCards.tsx"
import { TrafficCharts } from "../components/analytics/TrafficCharts.tsx"

const intervals: ReadonlyArray<{ value: AnalyticsInterval; label: string }> = [
  { value: "15M", label: "15 min" },
  { value: "1H", label: "1 hour" },
  { value: "1D", label: "1 day" },
  { value: "7D", label: "7 days" }
]

export const AnalyticsPage = () => {
  const [interval, setInterval] = useState<AnalyticsInterval>("1H")
  const analytics = useAnalytics(interval)
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>Analytics</Title>
        <SegmentedControl
          aria-label="Time window"
          value={interval}
          onChange={(value) => setInterval(value as AnalyticsInterval)}
          data={intervals.map((i) => ({ value: i.value, label: i.label }))}
        />
      </Group>
      {analytics.isError && (
        <Alert color="red" role="alert">
          {analytics.error.message}
        </Alert>
      )}
      {analytics.data === undefined ? (
        <Stack aria-busy="true" aria-label="Loading analytics">
          <SimpleGrid cols={{ base: 2, md: 5 }}>
            {[0, 1, 2, 3, 4].map((i) => (
              <Skeleton key={i} h={88} />
            ))}
          </SimpleGrid>
          <Skeleton h={260} />
          <Skeleton h={260} />
        </Stack>
      ) : (
        <>
          <OverviewCards overview={analytics.data.overview} />
          {analytics.data.overview.total_requests === 0 && (
            <Text c="dimmed" role="status">
              No requests in this window yet. Make a call with your key (the Playground does) and it appears
              here.
            </Text>
          )}
          <TrafficCharts timeseries={analytics.data.timeseries} />
          <SimpleGrid cols={{ base: 1, lg: 2 }}>
            <LatencyChart latency={analytics.data.latency} />
            <CostCharts cost={analytics.data.cost} />
          </SimpleGrid>
          <ErrorCharts errors={analytics.data.errors} />
        </>
      )}
    </Stack>
  )
}
