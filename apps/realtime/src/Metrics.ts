/**
 * The hub's Prometheus metrics (`GET /metrics`) and the running counts `/health` and `/status`
 * report. prom-client keeps the registry; the hub calls these plain functions on its paths.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client"

/** The hub's counters. */
export interface Metrics {
  readonly registry: Registry
  readonly connected: () => void
  readonly disconnected: () => void
  readonly authenticated: (via: string) => void
  readonly authFailed: () => void
  readonly received: (event: string) => void
  readonly refused: (code: string) => void
  readonly broadcast: (to: string, recipients: number) => void
  /** Sockets open now, and ever opened. */
  readonly connections: () => { readonly active: number; readonly total: number }
  /** Events received from sockets plus broadcasts sent, over the last full minute. */
  readonly eventsPerMinute: () => number
}

/** A fresh registry (one per hub, so tests can run several). */
export const make = (): Metrics => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: "realtime_" })
  let active = 0
  let total = 0
  // Two one-minute buckets: the current one and the last full one.
  let minute = Math.floor(Date.now() / 60_000)
  let thisMinute = 0
  let lastMinute = 0
  const tick = () => {
    const now = Math.floor(Date.now() / 60_000)
    if (now !== minute) {
      lastMinute = now === minute + 1 ? thisMinute : 0
      thisMinute = 0
      minute = now
    }
    thisMinute += 1
  }
  new Gauge({
    name: "realtime_connections_active",
    help: "Sockets connected to this instance",
    registers: [registry],
    collect() {
      this.set(active)
    }
  })
  const connectionsTotal = new Counter({
    name: "realtime_connections_total",
    help: "Sockets ever connected to this instance",
    registers: [registry]
  })
  const authentications = new Counter({
    name: "realtime_authentications_total",
    help: "Sockets authenticated, by token kind",
    labelNames: ["via"],
    registers: [registry]
  })
  const authFailures = new Counter({
    name: "realtime_authentication_failures_total",
    help: "Tokens refused",
    registers: [registry]
  })
  const events = new Counter({
    name: "realtime_events_received_total",
    help: "Events received from sockets, by name",
    labelNames: ["event"],
    registers: [registry]
  })
  const refusals = new Counter({
    name: "realtime_errors_sent_total",
    help: "Error events sent to sockets, by code",
    labelNames: ["code"],
    registers: [registry]
  })
  const broadcasts = new Counter({
    name: "realtime_broadcasts_total",
    help: "Broadcast API events sent, by target",
    labelNames: ["to"],
    registers: [registry]
  })
  const recipients = new Counter({
    name: "realtime_broadcast_recipients_total",
    help: "Sockets reached by broadcasts (every instance)",
    registers: [registry]
  })
  return {
    registry,
    connected: () => {
      active += 1
      total += 1
      connectionsTotal.inc()
    },
    disconnected: () => {
      active -= 1
    },
    authenticated: (via) => authentications.inc({ via }),
    authFailed: () => authFailures.inc(),
    received: (event) => {
      tick()
      events.inc({ event })
    },
    refused: (code) => refusals.inc({ code }),
    broadcast: (to, reached) => {
      tick()
      broadcasts.inc({ to })
      recipients.inc(reached)
    },
    connections: () => ({ active, total }),
    eventsPerMinute: () => {
      const now = Math.floor(Date.now() / 60_000)
      return now === minute ? lastMinute : now === minute + 1 ? thisMinute : 0
    }
  }
}
