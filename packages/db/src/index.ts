/**
 * PostgreSQL plumbing shared by every package: the connection layer, per-package migrations and
 * throwaway test databases.
 */
export * as Database from "./Database.ts"
export * as EmbeddedPostgres from "./EmbeddedPostgres.ts"
export * as Migrations from "./Migrations.ts"
export * as TestDatabase from "./TestDatabase.ts"
