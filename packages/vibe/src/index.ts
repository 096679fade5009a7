/**
 * Vibe apps (seed 004): a prompt becomes a small single-page web app, generated through the
 * Switchyard router, stored in PostgreSQL with its versions and history, and served sandboxed from
 * its own origin.
 */
export * as AppIds from "./AppIds.ts"
export * as AppServing from "./AppServing.ts"
export * from "./AppStatusEvents.ts"
export * from "./AppStore.ts"
export { AppUrls, type AppUrlsShape } from "./AppUrls.ts"
export * from "./Generator.ts"
export * as HtmlDocument from "./HtmlDocument.ts"
export * as IdleSweep from "./IdleSweep.ts"
export * from "./RouterClient.ts"
export * from "./VibeApps.ts"
export * from "./VibeCredentials.ts"
export * from "./VibeMigrations.ts"
export * from "./VibeSettings.ts"
