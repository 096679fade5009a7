/**
 * better-auth's own React client for `/api/auth/*` (sign-up, sign-in, sign-out, session, user
 * update), which is not part of the HttpApi contract. Same version as the server's (1.7.7).
 */
import { inferAdditionalFields } from "better-auth/client/plugins"
import { createAuthClient } from "better-auth/react"

/** The client for the control plane at `baseURL`; the session cookie travels with every call. */
export const makeAuthClient = (baseURL: string) =>
  createAuthClient({
    baseURL,
    fetchOptions: { credentials: "include" },
    plugins: [
      inferAdditionalFields({
        user: { hasCompletedOnboarding: { type: "boolean", required: false } }
      })
    ]
  })

/** The auth client's type. */
export type AuthClient = ReturnType<typeof makeAuthClient>
