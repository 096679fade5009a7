/**
 * Accounts and authentication for both apps: better-auth, API keys, the change feed that keeps
 * every instance's caches honest, and the cached verifiers the router uses on its hot path.
 *
 * better-auth itself is a separate entry, `@switchyard/auth/better-auth` (and seed 003's account
 * routes over it, `@switchyard/auth/seed-auth`): the control plane serves it, and the router loads it
 * only when its first `/auth/*` request arrives, so a router serving keys alone keeps better-auth
 * (with kysely, zod, jose…) out of its heap, which shortens every garbage-collection pause on its
 * hot path.
 */
export * as ApiKeyFormat from "./ApiKeyFormat.ts"
export * from "./ApiKeyRepo.ts"
export * from "./ApiKeys.ts"
export * from "./ApiKeyVerifier.ts"
export * from "./AuthMigrations.ts"
export * from "./Change.ts"
export * from "./ChangeFeed.ts"
export * from "./ClientIp.ts"
export * from "./PlatformProviders.ts"
export * from "./SignInLockout.ts"
export * from "./TrustedOrigins.ts"
export * from "./UpstreamUrlGuard.ts"
export * from "./UserTokenVerifier.ts"
