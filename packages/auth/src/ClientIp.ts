/**
 * The request header the client's network address travels in to better-auth (for its per-address
 * sign-in limits). Each server sets it from the socket and overwrites whatever a client sent under
 * that name; kept apart from `BetterAuth.ts` so the router can name it without loading better-auth.
 */
export const CLIENT_IP_HEADER = "x-switchyard-client-ip"
