/**
 * The `Authentication` middleware: asks better-auth whose session a request carries (the auth
 * package's, shared with the router).
 */
export { AuthenticationLive } from "@switchyard/auth/seed-auth"
