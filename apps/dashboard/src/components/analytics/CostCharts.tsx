/** Cost of the window per model and per provider (summed over its days). */
import { BarChart } from "@mantine/charts"
import type { AnalyticsCost } from "@switchyard/domain"
import { formatUsd } from "../../format.ts"
import { ChartCard } from "./ChartCard.tsx"

/** Sums `value` by `key`, costliest first. */
const sumBy = <T,>(rows: ReadonlyArray<T>, key: (row: T) => string, value: (row: T) => number) => {
  const totals = new Map<string, number>()
  for (const row of rows) totals.set(key(row), (totals.get(key(row)) ?? 0) + value(row))
  return [...totals].sort((a, b) => b[1] - a[1])
}

export const CostCharts = ({ cost }: { readonly cost: AnalyticsCost }) => {
  const byModel = sumBy(
    cost.days,
    (day) => `${day.provider}/${day.model}`,
    (day) => day.total_cost_usd
  ).map(([name, usd]) => ({ name, Cost: usd }))
  const byProvider = sumBy(
    cost.days,
    (day) => day.provider || "refused",
    (day) => day.total_cost_usd
  ).map(([name, usd]) => ({ name, Cost: usd }))
  const empty = cost.days.length === 0
  return (
    <ChartCard title="Cost per model and provider" testId="chart-cost" empty={empty}>
      <BarChart
        h={130}
        data={byModel}
        dataKey="name"
        orientation="vertical"
        yAxisProps={{ width: 140 }}
        series={[{ name: "Cost", label: "Cost per model", color: "teal.8" }]}
        valueFormatter={formatUsd}
        gridAxis="none"
      />
      <BarChart
        h={110}
        mt="sm"
        data={byProvider}
        dataKey="name"
        orientation="vertical"
        yAxisProps={{ width: 140 }}
        series={[{ name: "Cost", label: "Cost per provider", color: "cyan.9" }]}
        valueFormatter={formatUsd}
        gridAxis="none"
      />
    </ChartCard>
  )
}
