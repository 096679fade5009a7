/**
 * Apps, their generated versions and their conversation. A deleted app keeps its row (without
 * versions or messages) so the per-user hourly create limit cannot be dodged by deleting.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE vibe_apps (
      id text PRIMARY KEY,
      owner_id text NOT NULL,
      end_user_id text,
      status text NOT NULL CHECK (status IN ('creating', 'active', 'failed', 'stopped')),
      current_version integer,
      latest_version integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      last_activity_at timestamptz NOT NULL DEFAULT now(),
      deleted_at timestamptz
    )`
  // The hourly create count, per owner and end user.
  yield* sql`CREATE INDEX vibe_apps_owner_created ON vibe_apps (owner_id, created_at)`
  // The idle sweep and the active count read only active apps.
  yield* sql`CREATE INDEX vibe_apps_active_activity ON vibe_apps (last_activity_at)
             WHERE status = 'active' AND deleted_at IS NULL`
  yield* sql`
    CREATE TABLE vibe_app_versions (
      app_id text NOT NULL REFERENCES vibe_apps (id) ON DELETE CASCADE,
      version integer NOT NULL,
      html text NOT NULL,
      prompt text NOT NULL,
      model text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (app_id, version)
    )`
  yield* sql`
    CREATE TABLE vibe_app_messages (
      id bigserial PRIMARY KEY,
      app_id text NOT NULL REFERENCES vibe_apps (id) ON DELETE CASCADE,
      type text NOT NULL CHECK (type IN ('user', 'assistant')),
      content text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX vibe_app_messages_app ON vibe_app_messages (app_id, id)`
})
