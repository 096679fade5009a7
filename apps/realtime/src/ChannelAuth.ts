/**
 * Authorisation of `private-*` channels by the backend, in Laravel's broadcasting-auth shape:
 * `POST {REALTIME_CHANNEL_AUTH_URL}` with the form fields `socket_id` and `channel_name` and the
 * socket's own token as the bearer. A 2xx answer allows the subscription; 401/403 (or any other
 * status) refuses it. Without the setting every private channel is refused.
 */
import { Option } from "effect"

/** The backend's verdict, or `unavailable` when it could not be asked. */
export type Verdict = "allowed" | "denied" | "unavailable"

/** Asks whether the socket may join a private channel. */
export type ChannelAuth = (socketId: string, channel: string, token: string) => Promise<Verdict>

/** Over the configured URL (or refusing everything). */
export const make = (url: Option.Option<string>, timeoutMs = 5_000): ChannelAuth =>
  Option.match(url, {
    onNone: () => async () => "denied",
    onSome: (endpoint) => async (socketId, channel, token) => {
      try {
        const res = await fetch(endpoint, {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            accept: "application/json",
            "content-type": "application/x-www-form-urlencoded"
          },
          body: new URLSearchParams({ socket_id: socketId, channel_name: channel }),
          signal: AbortSignal.timeout(timeoutMs)
        })
        await res.body?.cancel()
        return res.ok ? "allowed" : "denied"
      } catch {
        return "unavailable"
      }
    }
  })
