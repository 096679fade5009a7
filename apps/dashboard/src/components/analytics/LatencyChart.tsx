/** Latency percentiles (p50, p95, p99) per provider and model. */
import { BarChart } from "@mantine/charts"
import type { AnalyticsLatency } from "@switchyard/domain"
import { formatMs } from "../../format.ts"
import { ChartCard } from "./ChartCard.tsx"

export const LatencyChart = ({ latency }: { readonly latency: AnalyticsLatency }) => {
  const data = latency.models.map((model) => ({
    model: model.provider === "" ? `${model.model} (refused)` : `${model.provider}/${model.model}`,
    p50: model.p50_latency_ms,
    p95: model.p95_latency_ms,
    p99: model.p99_latency_ms
  }))
  return (
    <ChartCard title="Latency per model" testId="chart-latency" empty={data.length === 0}>
      <BarChart
        h={240}
        data={data}
        dataKey="model"
        series={[
          { name: "p50", color: "indigo.4" },
          { name: "p95", color: "indigo.7" },
          { name: "p99", color: "indigo.9" }
        ]}
        valueFormatter={formatMs}
        withLegend
        tickLine="y"
      />
    </ChartCard>
  )
}
