/**
 * Seed 004's vibe apps: the request and response bodies, field for field as the seed's clients
 * send and read them (snake_case), plus versions and revert.
 */
import { Schema } from "effect"

/** Longest prompt or edit request accepted, in characters. */
export const VIBE_PROMPT_MAX_LENGTH = 8_000

/** An app's id: `sb-` and 20 lowercase letters or digits. */
export const VibeAppId = Schema.String.pipe(
  Schema.pattern(/^sb-[a-z0-9]{20}$/, {
    message: () => "app_id must look like sb- followed by 20 letters or digits"
  }),
  Schema.annotations({ description: "The app's id, e.g. `sb-3k9x…`", examples: ["sb-0123456789abcdefghij"] })
)

/** Where an app is in its life: being generated, served, generation failed, or stopped for idleness. */
export const VibeAppStatus = Schema.Literal("creating", "active", "failed", "stopped")
export type VibeAppStatus = typeof VibeAppStatus.Type

/** The end user a service names in `user_id` (only service-key callers; others are who they sign in as). */
export const VibeEndUserId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9_.@:+-]{1,128}$/, {
    message: () => "user_id must be 1 to 128 letters, digits or _ . @ : + -"
  })
)

const text = (field: string) =>
  Schema.String.pipe(
    Schema.filter((value) => value.trim().length > 0, { message: () => `${field} must not be empty` }),
    Schema.maxLength(VIBE_PROMPT_MAX_LENGTH, {
      message: () => `${field} must be at most ${VIBE_PROMPT_MAX_LENGTH} characters`
    })
  )

/** `GET /` and `GET /health`. */
export class VibeHealth extends Schema.Class<VibeHealth>("VibeHealth")({
  status: Schema.Literal("healthy"),
  /** Apps being served now. */
  active_apps: Schema.Int,
  timestamp: Schema.String
}) {}

/** `POST /api/create`. */
export class CreateAppRequest extends Schema.Class<CreateAppRequest>("CreateAppRequest")({
  prompt: text("prompt").annotations({ examples: ["A meditation timer with sparkles"] }),
  user_id: Schema.optional(VibeEndUserId)
}) {}

/** The app exists and its first version is generated. */
export class CreateAppResponse extends Schema.Class<CreateAppResponse>("CreateAppResponse")({
  app_id: VibeAppId,
  status: Schema.Literal("created")
}) {}

/** `GET /api/app/{app_id}`. */
export class AppDetails extends Schema.Class<AppDetails>("AppDetails")({
  app_id: VibeAppId,
  status: VibeAppStatus,
  /** Where the app is served: its own origin, never the API's. */
  url: Schema.String,
  created_at: Schema.String,
  updated_at: Schema.String
}) {}

/** `POST /api/app/{app_id}/write`. */
export class WriteAppRequest extends Schema.Class<WriteAppRequest>("WriteAppRequest")({
  text: text("text").annotations({ examples: ["make the background blue"] }),
  user_id: Schema.optional(VibeEndUserId)
}) {}

/** The edited version is generated and served. */
export class WriteAppResponse extends Schema.Class<WriteAppResponse>("WriteAppResponse")({
  status: Schema.Literal("ok"),
  app_id: VibeAppId
}) {}

/** One message of an app's conversation. */
export class HistoryMessage extends Schema.Class<HistoryMessage>("HistoryMessage")({
  content: Schema.String,
  type: Schema.Literal("user", "assistant")
}) {}

/** `GET /api/app/{app_id}/history`, oldest first. */
export class AppHistory extends Schema.Class<AppHistory>("AppHistory")({
  message_history: Schema.Array(HistoryMessage)
}) {}

/** `GET /api/app/{app_id}/status`. */
export class AppStatusResponse extends Schema.Class<AppStatusResponse>("AppStatusResponse")({
  status: VibeAppStatus
}) {}

/** `DELETE /api/app/{app_id}`. */
export class DeleteAppResponse extends Schema.Class<DeleteAppResponse>("DeleteAppResponse")({
  status: Schema.Literal("deleted"),
  app_id: VibeAppId
}) {}

/** One generated version of an app. */
export class AppVersion extends Schema.Class<AppVersion>("AppVersion")({
  version: Schema.Int,
  /** The prompt or edit request it was generated from. */
  prompt: Schema.String,
  model: Schema.String,
  bytes: Schema.Int,
  created_at: Schema.String
}) {}

/** `GET /api/app/{app_id}/versions`, oldest first; `current_version` is the one served. */
export class AppVersions extends Schema.Class<AppVersions>("AppVersions")({
  app_id: VibeAppId,
  current_version: Schema.NullOr(Schema.Int),
  versions: Schema.Array(AppVersion)
}) {}

/** `POST /api/app/{app_id}/revert`: serve an earlier version again. */
export class RevertAppRequest extends Schema.Class<RevertAppRequest>("RevertAppRequest")({
  version: Schema.Int.pipe(Schema.positive({ message: () => "version must be a positive integer" })),
  user_id: Schema.optional(VibeEndUserId)
}) {}

/** The app now serves `current_version`. */
export class RevertAppResponse extends Schema.Class<RevertAppResponse>("RevertAppResponse")({
  status: Schema.Literal("ok"),
  app_id: VibeAppId,
  current_version: Schema.Int
}) {}
