/**
 * The realtime hub's contract and client side, shared by the hub (apps/realtime), the apps that
 * publish to it (router, control plane) and the dashboard that listens:
 * event schemas, the broadcast API's body, room naming, token verification and the publisher.
 */
export * from "./Broadcast.ts"
export * as BudgetTap from "./BudgetTap.ts"
export * from "./Events.ts"
export * as KeyChangeTap from "./KeyChangeTap.ts"
export * from "./Publisher.ts"
export * as Rooms from "./Rooms.ts"
export * from "./TokenVerifier.ts"
export * as UsageTap from "./UsageTap.ts"
