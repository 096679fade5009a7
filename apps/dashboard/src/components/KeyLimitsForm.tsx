/**
 * The key's own limits: requests and tokens per minute and a spend budget. What the user types is
 * decoded with the API's own request schema (`UpdateApiKeyRequest` from the contract), so the
 * messages are the API's, field by field; whatever the server still refuses is shown the same way.
 */
import {
  Alert,
  Button,
  Card,
  Group,
  NativeSelect,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title
} from "@mantine/core"
import { type ApiKeyView, UpdateApiKeyRequest } from "@switchyard/domain"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { Either, Schema } from "effect"
import { type FormEvent, useState } from "react"
import { useApp } from "../AppContext.tsx"
import { type ApiError, type FieldErrors, parseErrorFields } from "../api/ApiError.ts"
import { queryKeys } from "../api/queries.ts"

const NUMBER = /^-?\d+(\.\d+)?$/

/** Empty → absent (the operator's default); a number → the number; anything else as typed. */
const fromInput = (text: string): unknown => {
  const trimmed = text.trim()
  if (trimmed === "") return undefined
  return NUMBER.test(trimmed) ? Number(trimmed) : trimmed
}

const show = (value: number | null | undefined) =>
  value === null || value === undefined ? "" : String(value)

/** The first message for `prefix` or anything under it. */
const errorFor = (fields: FieldErrors, prefix: string): string | undefined =>
  Object.entries(fields).find(([path]) => path === prefix || path.startsWith(`${prefix}.`))?.[1]

/** The request the form describes, decoded with the contract's schema. */
export const decodeLimits = (input: {
  readonly rpm: string
  readonly tpm: string
  readonly budgetUsd: string
  readonly period: string
}) => {
  const usd = input.budgetUsd.trim()
  const limits = {
    rpm: fromInput(input.rpm),
    tpm: fromInput(input.tpm),
    budget: usd === "" ? undefined : { usd, period: input.period }
  }
  return Schema.decodeUnknownEither(UpdateApiKeyRequest)({ limits }, { errors: "all" })
}

export const KeyLimitsForm = ({ view }: { readonly view: ApiKeyView }) => {
  const { controlPlane } = useApp()
  const queryClient = useQueryClient()
  const [fields, setFields] = useState<FieldErrors>({})
  const [saved, setSaved] = useState(false)
  const limits = view.limits
  const budget = limits?.budget ?? undefined

  const save = useMutation<unknown, ApiError, UpdateApiKeyRequest>({
    mutationFn: (payload) => controlPlane.run((client) => client.apikey.update({ payload })),
    onSuccess: () => setSaved(true),
    onError: (error) => setFields(error.fields),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKey })
  })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    setSaved(false)
    const decoded = decodeLimits({
      rpm: String(form.get("rpm") ?? ""),
      tpm: String(form.get("tpm") ?? ""),
      budgetUsd: String(form.get("budgetUsd") ?? ""),
      period: String(form.get("period") ?? "month")
    })
    if (Either.isLeft(decoded)) {
      setFields(parseErrorFields(decoded.left))
      return
    }
    setFields({})
    save.mutate(decoded.right)
  }

  const generalError =
    save.error && Object.keys(save.error.fields).length === 0 ? save.error.message : undefined

  return (
    <Card withBorder component="section" aria-labelledby="limits-title">
      <form onSubmit={submit} noValidate aria-label="Key limits">
        <Stack gap="sm">
          <Title order={3} id="limits-title" size="h4">
            Limits of this key
          </Title>
          <Text size="sm" c="dimmed">
            Leave a field empty to use the operator's default. Requests over a limit are refused with 429.
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              name="rpm"
              label="Requests per minute"
              inputMode="numeric"
              defaultValue={show(limits?.rpm)}
              error={errorFor(fields, "limits.rpm")}
            />
            <TextInput
              name="tpm"
              label="Tokens per minute"
              inputMode="numeric"
              defaultValue={show(limits?.tpm)}
              error={errorFor(fields, "limits.tpm")}
            />
            <TextInput
              name="budgetUsd"
              label="Budget (USD)"
              inputMode="decimal"
              placeholder="e.g. 20.00"
              defaultValue={budget ? String(budget.amountMicros / 1_000_000) : ""}
              error={errorFor(fields, "limits.budget")}
            />
            <NativeSelect
              name="period"
              label="Budget period"
              data={[
                { value: "month", label: "Per month (UTC)" },
                { value: "day", label: "Per day (UTC)" }
              ]}
              defaultValue={budget?.period ?? "month"}
            />
          </SimpleGrid>
          {fields[""] && (
            <Alert color="red" role="alert">
              {fields[""]}
            </Alert>
          )}
          {generalError && (
            <Alert color="red" role="alert">
              {generalError}
            </Alert>
          )}
          {saved && (
            <Text size="sm" c="teal.9" role="status">
              Limits saved.
            </Text>
          )}
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save limits
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  )
}
