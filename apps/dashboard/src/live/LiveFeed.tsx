/**
 * The signed-in user's live usage events from the realtime hub (Socket.IO): connected once for
 * the whole signed-in app, so the live table and the playground share it and nothing is missed
 * while the user moves between pages. The hub authenticates the socket with the user's session
 * token and puts it in the user's room, where the router publishes each request's `usage`.
 */
import { Schema } from "effect"
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from "react"
import { io } from "socket.io-client"
import { useApp } from "../AppContext.tsx"
import { EventName, UsageLive } from "./UsageLive.ts"

/** How many events the table keeps (newest first). */
const KEEP = 200

/** The feed's state. */
export interface LiveFeedState {
  readonly connected: boolean
  /** Why the feed is not connected, when it tried and failed. */
  readonly problem: string | undefined
  /** Newest first. */
  readonly events: ReadonlyArray<UsageLive>
  readonly find: (requestId: string) => UsageLive | undefined
}

const LiveFeedContext = createContext<LiveFeedState>({
  connected: false,
  problem: undefined,
  events: [],
  find: () => undefined
})

const decodeUsage = Schema.decodeUnknownOption(UsageLive)

export const LiveFeedProvider = ({ children }: { readonly children: ReactNode }) => {
  const { auth, config } = useApp()
  const session = auth.useSession()
  const token = session.data?.session.token
  const [connected, setConnected] = useState(false)
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const [events, setEvents] = useState<ReadonlyArray<UsageLive>>([])

  useEffect(() => {
    if (token === undefined) return
    const socket = io(config.realtimeUrl, { auth: { token }, transports: ["websocket", "polling"] })
    socket.on("authenticated", () => {
      setConnected(true)
      setProblem(undefined)
    })
    socket.on("authentication_error", (payload: { readonly error?: unknown }) => {
      setConnected(false)
      setProblem(typeof payload?.error === "string" ? payload.error : "The realtime hub refused the session")
    })
    socket.on("connect_error", () => {
      setConnected(false)
      setProblem(`The realtime hub at ${config.realtimeUrl} cannot be reached`)
    })
    socket.on("disconnect", () => setConnected(false))
    socket.on(EventName.usage, (payload: unknown) => {
      const event = decodeUsage(payload)
      if (event._tag === "Some") setEvents((previous) => [event.value, ...previous].slice(0, KEEP))
    })
    return () => {
      socket.disconnect()
    }
  }, [token, config.realtimeUrl])

  const value = useMemo<LiveFeedState>(
    () => ({ connected, problem, events, find: (id) => events.find((event) => event.requestId === id) }),
    [connected, problem, events]
  )
  return <LiveFeedContext.Provider value={value}>{children}</LiveFeedContext.Provider>
}

/** The live feed of the signed-in user. */
export const useLiveFeed = (): LiveFeedState => useContext(LiveFeedContext)
