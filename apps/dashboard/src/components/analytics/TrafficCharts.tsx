/** Requests (and errors) and cost over time, one point per bucket. */
import { AreaChart, BarChart } from "@mantine/charts"
import { SimpleGrid } from "@mantine/core"
import type { AnalyticsTimeSeries } from "@switchyard/domain"
import { formatUsd } from "../../format.ts"
import { ChartCard } from "./ChartCard.tsx"

const label = (iso: string, bucketSeconds: number) => {
  const date = new Date(iso)
  return bucketSeconds >= 3600
    ? date.toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" })
    : date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })
}

export const TrafficCharts = ({ timeseries }: { readonly timeseries: AnalyticsTimeSeries }) => {
  const data = timeseries.buckets.map((bucket) => ({
    time: label(bucket.bucket, timeseries.bucket_seconds),
    Requests: bucket.request_count,
    Errors: bucket.error_count,
    Cost: bucket.total_cost_usd
  }))
  const empty = timeseries.buckets.every((bucket) => bucket.request_count === 0)
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <ChartCard title="Requests over time" testId="chart-requests" empty={empty}>
        <BarChart
          h={220}
          data={data}
          dataKey="time"
          type="stacked"
          series={[
            { name: "Requests", color: "indigo.7" },
            { name: "Errors", color: "red.7" }
          ]}
          withLegend
          tickLine="y"
        />
      </ChartCard>
      <ChartCard title="Cost over time" testId="chart-cost-time" empty={empty}>
        <AreaChart
          h={220}
          data={data}
          dataKey="time"
          series={[{ name: "Cost", color: "teal.8" }]}
          valueFormatter={formatUsd}
          yAxisProps={{ width: 80 }}
          withDots={false}
          tickLine="y"
          curveType="monotone"
        />
      </ChartCard>
    </SimpleGrid>
  )
}
