/**
 * The embedded PostgreSQL server of local mode and of test runs with no server (`bun run start`,
 * `bun run test`); never loaded by the apps.
 */
export * as EmbeddedPostgres from "./EmbeddedPostgres.ts"
