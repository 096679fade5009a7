/** A titled card around one chart, with the empty state every chart shares. */
import { Card, Center, Text, Title } from "@mantine/core"
import type { ReactNode } from "react"

export const ChartCard = (props: {
  readonly title: string
  readonly testId: string
  readonly empty: boolean
  readonly children: ReactNode
}) => (
  <Card withBorder component="section" aria-label={props.title} data-testid={props.testId}>
    <Title order={3} size="h5" mb="sm">
      {props.title}
    </Title>
    {props.empty ? (
      <Center h={200}>
        <Text c="dimmed" size="sm">
          Nothing to show in this window.
        </Text>
      </Center>
    ) : (
      props.children
    )}
  </Card>
)
