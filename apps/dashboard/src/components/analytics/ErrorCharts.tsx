/** Errors by HTTP status and by provider, with the window's error rate. */
import { BarChart } from "@mantine/charts"
import { SimpleGrid } from "@mantine/core"
import type { AnalyticsErrors } from "@switchyard/domain"
import { formatPercent } from "../../format.ts"
import { ChartCard } from "./ChartCard.tsx"

export const ErrorCharts = ({ errors }: { readonly errors: AnalyticsErrors }) => {
  const byStatus = errors.by_status.map((row) => ({ status: String(row.status), Errors: row.count }))
  const providers = new Map<string, number>()
  for (const row of errors.by_model) {
    const name = row.provider === "" ? "refused before a provider" : row.provider
    providers.set(name, (providers.get(name) ?? 0) + row.error_count)
  }
  const byProvider = [...providers]
    .filter(([, count]) => count > 0)
    .map(([provider, count]) => ({ provider, Errors: count }))
  const title = `Errors by status (error rate ${formatPercent(errors.error_rate)})`
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <ChartCard title={title} testId="chart-errors-status" empty={byStatus.length === 0}>
        <BarChart h={200} data={byStatus} dataKey="status" series={[{ name: "Errors", color: "red.8" }]} />
      </ChartCard>
      <ChartCard title="Errors by provider" testId="chart-errors-provider" empty={byProvider.length === 0}>
        <BarChart
          h={200}
          data={byProvider}
          dataKey="provider"
          series={[{ name: "Errors", color: "orange.9" }]}
        />
      </ChartCard>
    </SimpleGrid>
  )
}
