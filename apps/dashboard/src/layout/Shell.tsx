/**
 * The signed-in frame: a header with the user and sign-out, a navigation bar (a drawer behind a
 * menu button on phones), and the page.
 */
import { AppShell, Burger, Button, Group, NavLink, Text, Title } from "@mantine/core"
import { useDisclosure } from "@mantine/hooks"
import { useQueryClient } from "@tanstack/react-query"
import { Outlet, NavLink as RouterLink, useLocation, useNavigate } from "react-router"
import { useApp } from "../AppContext.tsx"
import { useRevealedKey } from "../auth/RevealedKey.tsx"

const pages = [
  { to: "/analytics", label: "Analytics" },
  { to: "/live", label: "Live requests" },
  { to: "/key", label: "API key" },
  { to: "/providers", label: "Provider credentials" },
  { to: "/playground", label: "Playground" },
  { to: "/vibe", label: "Vibe apps" }
] as const

export const Shell = () => {
  const [opened, { toggle, close }] = useDisclosure()
  const { auth } = useApp()
  const session = auth.useSession()
  const navigate = useNavigate()
  const location = useLocation()
  const queryClient = useQueryClient()
  const { setKey } = useRevealedKey()

  const signOut = async () => {
    await auth.signOut()
    setKey(undefined)
    queryClient.clear()
    navigate("/sign-in", { replace: true })
  }

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 230, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={opened ? "Close navigation" : "Open navigation"}
            />
            <Title order={1} size="h3">
              Switchyard
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" c="dimmed" visibleFrom="xs" truncate maw={220}>
              {session.data?.user.email}
            </Text>
            <Button variant="default" size="xs" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {pages.map((page) => (
          <NavLink
            key={page.to}
            component={RouterLink}
            to={page.to}
            label={page.label}
            active={location.pathname === page.to}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  )
}
