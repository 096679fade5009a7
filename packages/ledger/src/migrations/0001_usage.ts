/**
 * Raw usage events and their per-minute rollups.
 *
 * Rollup key columns are NOT NULL with '' for "none" (no API key, no provider): PostgreSQL unique
 * constraints treat NULLs as distinct, which would split one key into many rows.
 *
 * `lat_b00` … `lat_b21` count latencies per bucket of `LatencyBuckets.LATENCY_BUCKET_BOUNDS_MS` as it
 * was when this migration was written (written out here: a migration never changes with the code).
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE usage_events (
    request_id text PRIMARY KEY,
    user_id text NOT NULL,
    api_key_id text,
    requested_model text NOT NULL,
    provider text,
    upstream_model text,
    outcome text NOT NULL,
    status smallint NOT NULL,
    error_type text,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cached_input_tokens bigint NOT NULL,
    cache_creation_tokens bigint NOT NULL,
    reasoning_tokens bigint NOT NULL,
    estimated boolean NOT NULL,
    cost_micros bigint NOT NULL,
    latency_us bigint NOT NULL,
    ttft_us bigint,
    stream boolean NOT NULL,
    dropped_fields text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL
  )`
  yield* sql`CREATE INDEX usage_events_user_time ON usage_events (user_id, created_at)`
  yield* sql`CREATE TABLE usage_rollup_minute (
  minute timestamptz NOT NULL,
  user_id text NOT NULL,
  api_key_id text NOT NULL DEFAULT '',
  provider text NOT NULL DEFAULT '',
  model text NOT NULL,
  requests bigint NOT NULL DEFAULT 0,
  error_count bigint NOT NULL DEFAULT 0,
  client_error_count bigint NOT NULL DEFAULT 0,
  server_error_count bigint NOT NULL DEFAULT 0,
  rate_limited_count bigint NOT NULL DEFAULT 0,
  stream_count bigint NOT NULL DEFAULT 0,
  estimated_count bigint NOT NULL DEFAULT 0,
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  cached_input_tokens bigint NOT NULL DEFAULT 0,
  cache_creation_tokens bigint NOT NULL DEFAULT 0,
  reasoning_tokens bigint NOT NULL DEFAULT 0,
  cost_micros bigint NOT NULL DEFAULT 0,
  latency_sum_us bigint NOT NULL DEFAULT 0,
  ttft_sum_us bigint NOT NULL DEFAULT 0,
  ttft_count bigint NOT NULL DEFAULT 0,
  lat_b00 bigint NOT NULL DEFAULT 0,
  lat_b01 bigint NOT NULL DEFAULT 0,
  lat_b02 bigint NOT NULL DEFAULT 0,
  lat_b03 bigint NOT NULL DEFAULT 0,
  lat_b04 bigint NOT NULL DEFAULT 0,
  lat_b05 bigint NOT NULL DEFAULT 0,
  lat_b06 bigint NOT NULL DEFAULT 0,
  lat_b07 bigint NOT NULL DEFAULT 0,
  lat_b08 bigint NOT NULL DEFAULT 0,
  lat_b09 bigint NOT NULL DEFAULT 0,
  lat_b10 bigint NOT NULL DEFAULT 0,
  lat_b11 bigint NOT NULL DEFAULT 0,
  lat_b12 bigint NOT NULL DEFAULT 0,
  lat_b13 bigint NOT NULL DEFAULT 0,
  lat_b14 bigint NOT NULL DEFAULT 0,
  lat_b15 bigint NOT NULL DEFAULT 0,
  lat_b16 bigint NOT NULL DEFAULT 0,
  lat_b17 bigint NOT NULL DEFAULT 0,
  lat_b18 bigint NOT NULL DEFAULT 0,
  lat_b19 bigint NOT NULL DEFAULT 0,
  lat_b20 bigint NOT NULL DEFAULT 0,
  lat_b21 bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, minute, api_key_id, provider, model)
)`
  yield* sql`CREATE TABLE usage_error_rollup_minute (
    minute timestamptz NOT NULL,
    user_id text NOT NULL,
    api_key_id text NOT NULL DEFAULT '',
    provider text NOT NULL DEFAULT '',
    model text NOT NULL,
    status smallint NOT NULL,
    error_type text NOT NULL DEFAULT '',
    count bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, minute, api_key_id, provider, model, status, error_type)
  )`
})
