/** A key shown in full, once, with a copy button and the warning that it will not be shown again. */
import { Alert, Button, Code, CopyButton, Group, Stack, Text } from "@mantine/core"

export const FullKeyNotice = ({ value }: { readonly value: string }) => (
  <Alert color="green" title="Your new API key" role="status">
    <Stack gap="xs">
      <Text size="sm">
        Copy it now: it is shown only once. Afterwards only its first and last characters are.
      </Text>
      <Group gap="sm" wrap="nowrap" align="center">
        <Code data-testid="full-key" style={{ wordBreak: "break-all", flex: 1 }}>
          {value}
        </Code>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Button size="xs" onClick={copy} color={copied ? "teal.9" : "indigo.8"} aria-label="Copy API key">
              {copied ? "Copied" : "Copy"}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Stack>
  </Alert>
)
