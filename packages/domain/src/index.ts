/**
 * Shared schemas, typed errors and HttpApi contracts of both apps.
 */

export * from "./AnalyticsApi.ts"
export * from "./ApiKey.ts"
export * from "./ApiKeyApi.ts"
export * from "./AuthApi.ts"
export * from "./ControlPlaneApi.ts"
export * from "./ControlPlaneErrors.ts"
export * from "./FailedRequest.ts"
export * from "./GatewayError.ts"
export * from "./HealthApi.ts"
export * from "./Limits.ts"
export * from "./ModelName.ts"
export * from "./Provider.ts"
export * from "./Secret.ts"
export * from "./SecretApi.ts"
export * from "./StoredText.ts"
export * from "./TranslationErrors.ts"
export * from "./UsageEvent.ts"
export * from "./User.ts"
export * from "./VaultErrors.ts"
