/**
 * The full API key, when this tab has it: just created or regenerated, or pasted by the user.
 * The control plane never shows a key twice, so the playground and onboarding need it from here.
 * Kept in memory only (never in storage), so it is gone when the tab closes.
 */
import { createContext, type ReactNode, useContext, useMemo, useState } from "react"

interface RevealedKeyState {
  readonly key: string | undefined
  readonly setKey: (key: string | undefined) => void
}

const RevealedKeyContext = createContext<RevealedKeyState>({ key: undefined, setKey: () => undefined })

/** Holds the revealed key for the pages under it. */
export const RevealedKeyProvider = ({ children }: { readonly children: ReactNode }) => {
  const [key, setKey] = useState<string | undefined>(undefined)
  const value = useMemo(() => ({ key, setKey }), [key])
  return <RevealedKeyContext.Provider value={value}>{children}</RevealedKeyContext.Provider>
}

/** The revealed key and its setter. */
export const useRevealedKey = (): RevealedKeyState => useContext(RevealedKeyContext)
