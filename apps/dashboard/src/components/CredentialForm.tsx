/**
 * Adds or replaces the credential of one provider. The input is decoded with the contract's
 * `PutSecretRequest` (the same messages as the API, by field), then sent through the typed client.
 */
import {
  Alert,
  Button,
  Card,
  Group,
  NativeSelect,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title
} from "@mantine/core"
import { PutSecretRequest } from "@switchyard/domain"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { Either, Schema } from "effect"
import { type FormEvent, useState } from "react"
import { useApp } from "../AppContext.tsx"
import { type ApiError, type FieldErrors, parseErrorFields } from "../api/ApiError.ts"
import { queryKeys } from "../api/queries.ts"
import { providerLabel, providerOptions } from "./providers.ts"

export const CredentialForm = () => {
  const { controlPlane } = useApp()
  const queryClient = useQueryClient()
  const [provider, setProvider] = useState<string>("openai")
  const [fields, setFields] = useState<FieldErrors>({})
  const [saved, setSaved] = useState<string | undefined>(undefined)

  const put = useMutation<unknown, ApiError, PutSecretRequest>({
    mutationFn: (payload) => controlPlane.run((client) => client.secret.put({ payload })),
    onSuccess: (_, payload) => setSaved(providerLabel(payload.provider)),
    onError: (error) => setFields(error.fields),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.secrets })
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const formElement = event.currentTarget
    const form = new FormData(formElement)
    setSaved(undefined)
    const baseUrl = String(form.get("baseUrl") ?? "").trim()
    const decoded = Schema.decodeUnknownEither(PutSecretRequest)(
      {
        provider: String(form.get("provider") ?? ""),
        apiKey: String(form.get("apiKey") ?? ""),
        ...(baseUrl === "" ? {} : { baseUrl })
      },
      { errors: "all" }
    )
    if (Either.isLeft(decoded)) {
      setFields(parseErrorFields(decoded.left))
      return
    }
    setFields({})
    put.mutate(decoded.right, {
      // The secret leaves the page's state as soon as it has been sent.
      onSuccess: () => {
        const input = formElement.elements.namedItem("apiKey")
        if (input instanceof HTMLInputElement) input.value = ""
      }
    })
  }

  const generalError = put.error && Object.keys(put.error.fields).length === 0 ? put.error.message : undefined

  return (
    <Card withBorder component="section" aria-labelledby="add-credential-title">
      <form onSubmit={submit} noValidate aria-label="Add or replace a credential">
        <Stack gap="sm">
          <Title order={3} size="h4" id="add-credential-title">
            Add or replace a credential
          </Title>
          <Group grow align="flex-start" wrap="wrap">
            <NativeSelect
              name="provider"
              label="Provider"
              data={providerOptions}
              value={provider}
              onChange={(event) => setProvider(event.currentTarget.value)}
              error={fields.provider}
              miw={200}
            />
            <PasswordInput name="apiKey" label="API key" autoComplete="off" error={fields.apiKey} miw={220} />
          </Group>
          <TextInput
            name="baseUrl"
            label={provider === "openai-compatible" ? "Base URL" : "Base URL (optional)"}
            description={
              provider === "openai-compatible"
                ? "The server's OpenAI-style API root, e.g. http://localhost:11434/v1"
                : "Only for a proxy or a regional endpoint"
            }
            placeholder="https://…"
            error={fields.baseUrl}
            withAsterisk={provider === "openai-compatible"}
          />
          {generalError && (
            <Alert color="red" role="alert">
              {generalError}
            </Alert>
          )}
          {saved && (
            <Text size="sm" c="teal.9" role="status">
              {saved} credential saved.
            </Text>
          )}
          <Group>
            <Button type="submit" loading={put.isPending}>
              Save credential
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  )
}
