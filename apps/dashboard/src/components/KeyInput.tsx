/**
 * The full API key for calls made from this page. Filled in when this tab created or regenerated
 * the key; otherwise the user pastes it (the control plane never shows a key twice).
 */
import { PasswordInput } from "@mantine/core"
import { useRevealedKey } from "../auth/RevealedKey.tsx"

export const KeyInput = () => {
  const { key, setKey } = useRevealedKey()
  return (
    <PasswordInput
      label="Your API key"
      description={
        key ? "The key this tab created; kept in memory only." : "Paste your ef_… key (kept in memory only)."
      }
      placeholder="ef_…"
      autoComplete="off"
      value={key ?? ""}
      onChange={(event) => setKey(event.currentTarget.value.trim() || undefined)}
    />
  )
}
