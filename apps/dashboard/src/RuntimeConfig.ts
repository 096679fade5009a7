/**
 * Where the dashboard finds the other services. Read at start-up from `/config.json` beside
 * `index.html` rather than baked into the bundle, so one build serves any deployment: edit the file
 * (or let `src/serve.ts` write it from the environment).
 */
import { Schema } from "effect"

const HttpUrl = Schema.String.pipe(
  Schema.filter((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
    message: () => "must be an absolute http(s) URL"
  })
)

/** The contents of `config.json`. */
export class RuntimeConfig extends Schema.Class<RuntimeConfig>("RuntimeConfig")({
  /** The control plane (accounts, keys, credentials, analytics). */
  controlPlaneUrl: HttpUrl,
  /** The router, called by the playground and onboarding with the user's key. */
  routerUrl: HttpUrl,
  /** The realtime hub (live requests). */
  realtimeUrl: HttpUrl,
  /** The vibe-apps API. */
  vibeUrl: HttpUrl
}) {}

/** Fetches and decodes `config.json`; rejects with a message naming the bad field. */
export const loadRuntimeConfig = async (): Promise<RuntimeConfig> => {
  const response = await fetch(new URL("config.json", document.baseURI), { cache: "no-store" })
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`)
  return Schema.decodeUnknownPromise(RuntimeConfig)(await response.json())
}
