/** The centred card the sign-in and sign-up pages share. */
import { Center, Paper, Stack, Text, Title } from "@mantine/core"
import type { ReactNode } from "react"

export const AuthFrame = (props: { readonly title: string; readonly children: ReactNode }) => (
  <Center mih="100vh" p="md" component="main">
    <Paper withBorder shadow="sm" p="xl" w="100%" maw={420}>
      <Stack gap="md">
        <div>
          <Text fw={700} c="indigo.8">
            Switchyard
          </Text>
          <Title order={1} size="h2">
            {props.title}
          </Title>
        </div>
        {props.children}
      </Stack>
    </Paper>
  </Center>
)
