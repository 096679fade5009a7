/** Vibe apps: list, create from a prompt, open, edit, delete (issue 19's API). */
import { Text, Title } from "@mantine/core"

export const VibeAppsPage = () => (
  <>
    <Title order={2}>Vibe apps</Title>
    <Text c="dimmed">Not yet connected to the vibe API.</Text>
  </>
)
