/**
 * For tests only: a fresh, migrated PostgreSQL database per suite.
 */
export * as TestDatabase from "./TestDatabase.ts"
