/**
 * better-auth's tables, exactly as its own migrator (`getMigrations`) would create them for our
 * options (email/password, `hasCompletedOnboarding`, rate limits in the database). A test checks
 * that better-auth finds nothing left to create or add after this runs.
 *
 * Identifiers are camelCase and quoted: that is better-auth's naming, not ours.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE "user" (
    "id" text NOT NULL PRIMARY KEY,
    "name" text NOT NULL,
    "email" text NOT NULL UNIQUE,
    "emailVerified" boolean NOT NULL,
    "image" text,
    "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updatedAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "hasCompletedOnboarding" boolean DEFAULT false
  )`
  yield* sql`CREATE TABLE "session" (
    "id" text NOT NULL PRIMARY KEY,
    "expiresAt" timestamptz NOT NULL,
    "token" text NOT NULL UNIQUE,
    "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updatedAt" timestamptz NOT NULL,
    "ipAddress" text,
    "userAgent" text,
    "userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE
  )`
  yield* sql`CREATE TABLE "account" (
    "id" text NOT NULL PRIMARY KEY,
    "accountId" text NOT NULL,
    "providerId" text NOT NULL,
    "userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
    "accessToken" text,
    "refreshToken" text,
    "idToken" text,
    "accessTokenExpiresAt" timestamptz,
    "refreshTokenExpiresAt" timestamptz,
    "scope" text,
    "password" text,
    "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updatedAt" timestamptz NOT NULL
  )`
  yield* sql`CREATE TABLE "verification" (
    "id" text NOT NULL PRIMARY KEY,
    "identifier" text NOT NULL,
    "value" text NOT NULL,
    "expiresAt" timestamptz NOT NULL,
    "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updatedAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL
  )`
  yield* sql`CREATE TABLE "rateLimit" (
    "id" text NOT NULL PRIMARY KEY,
    "key" text NOT NULL UNIQUE,
    "count" integer NOT NULL,
    "lastRequest" bigint NOT NULL
  )`
  yield* sql`CREATE INDEX "session_userId_idx" ON "session" ("userId")`
  yield* sql`CREATE INDEX "account_userId_idx" ON "account" ("userId")`
  yield* sql`CREATE INDEX "verification_identifier_idx" ON "verification" ("identifier")`
})
