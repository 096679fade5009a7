/**
 * The realtime hub's `usage` event, from the hub's own schemas (`@switchyard/realtime/events`:
 * only the event schemas, nothing server-side reaches the bundle).
 */
export { EventName, UsageLive } from "@switchyard/realtime/events"
