/**
 * One row per (owner, provider): the sealed secret, the master key id that wraps its data key, and
 * the metadata the UI shows. The primary key serves every per-request lookup and the rotation walk.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`
    CREATE TABLE vault_secrets (
      owner_id text NOT NULL,
      provider text NOT NULL,
      ciphertext bytea NOT NULL,
      nonce bytea NOT NULL,
      tag bytea NOT NULL,
      wrapped_key bytea NOT NULL,
      wrapped_key_nonce bytea NOT NULL,
      wrapped_key_tag bytea NOT NULL,
      key_id text NOT NULL,
      last4 text NOT NULL,
      base_url text,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (owner_id, provider)
    )`
)
