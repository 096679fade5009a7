/**
 * Starts the hub the way production does (`bun src/main.ts`), as a child process on port 0, and
 * connects real `socket.io-client` sockets to it. The hub needs bun's runtime for its default
 * engine (`@socket.io/bun-engine`), while vitest runs under Node: hence a child.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { SignJWT } from "jose"
import { io, type Socket } from "socket.io-client"

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url))

/** The broadcast key every test hub accepts (raw, as `LARAVEL_API_KEY`). */
export const API_KEY = "test-broadcast-key"
/** The JWT secret every test hub shares with its tests. */
export const JWT_SECRET = "test-jwt-secret-of-some-length-0123456789"

/** A running hub. */
export interface HubProcess {
  readonly url: string
  readonly child: ChildProcess
  readonly output: () => string
  /** SIGTERM, and waits for the exit. */
  readonly stop: () => Promise<number | null>
  /** SIGKILL (a crash), and waits for the exit. */
  readonly kill: () => Promise<number | null>
}

const running = new Set<HubProcess>()

/** Starts a hub with the test defaults plus `env`. */
export const startHub = (env: Record<string, string> = {}): Promise<HubProcess> =>
  new Promise((resolve, reject) => {
    let output = ""
    const child = spawn("bun", [main], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        PORT: "0",
        HOST: "127.0.0.1",
        REALTIME_EXIT_WITH_PARENT: "1",
        LARAVEL_API_KEY: API_KEY,
        JWT_SECRET,
        // Generous limits unless a test is about them.
        REALTIME_MAX_CONNECTIONS_PER_IP: "1000",
        REALTIME_CONNECTIONS_PER_MINUTE: "1000",
        REALTIME_MAX_CONNECTIONS_PER_USER: "50",
        REALTIME_MESSAGES_PER_MINUTE: "1000",
        ...env
      }
    })
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)))
    const hub: HubProcess = {
      url: "",
      child,
      output: () => output,
      stop: () => {
        child.kill("SIGTERM")
        return exited
      },
      kill: () => {
        child.kill("SIGKILL")
        return exited
      }
    }
    child.stdout!.on("data", (data: Buffer) => {
      output += data.toString()
      const url = /listening on (\S+)/.exec(output)?.[1]
      if (url !== undefined && hub.url === "") {
        ;(hub as { url: string }).url = url
        running.add(hub)
        resolve(hub)
      }
    })
    child.stderr!.on("data", (data: Buffer) => {
      output += data.toString()
    })
    child.once("error", reject)
    void exited.then((code) => {
      running.delete(hub)
      if (hub.url === "") reject(new Error(`the hub exited with ${code}: ${output}`))
    })
  })

/** Kills every hub still running (afterAll). */
export const stopAll = () => Promise.all([...running].map((hub) => hub.kill()))

/** An HS256 JWT for `sub`, signed with the test secret unless told otherwise. */
export const jwtFor = (
  sub: string | number,
  options: { name?: string; secret?: string; expiresIn?: string } = {}
) =>
  new SignJWT({ name: options.name ?? `User ${sub}` })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(String(sub))
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET))

/** The two transports the hub serves. */
export const TRANSPORTS = ["websocket", "polling"] as const
export type Transport = (typeof TRANSPORTS)[number]

const sockets = new Set<Socket>()

/** A connected socket (not yet authenticated unless `token` is given in the handshake). */
export const connect = (url: string, transport: Transport, token?: string): Socket => {
  const socket = io(url, {
    transports: [transport],
    reconnection: false,
    forceNew: true,
    ...(token === undefined ? {} : { auth: { token } })
  })
  sockets.add(socket)
  return socket
}

/** Closes every socket opened by `connect` (afterEach). */
export const closeSockets = () => {
  for (const socket of sockets) socket.close()
  sockets.clear()
}

/** The next `event` on `socket`. */
export const next = <A = unknown>(socket: Socket, event: string): Promise<A> =>
  new Promise((resolve) => socket.once(event, (data: A) => resolve(data)))

/** Connects and authenticates through the handshake; resolves once `authenticated` arrived. */
export const signedIn = async (url: string, transport: Transport, userId: string | number) => {
  const socket = connect(url, transport, await jwtFor(userId))
  await next(socket, "authenticated")
  return socket
}

/** POSTs a broadcast with the test key (or `key`). */
export const broadcast = (url: string, body: unknown, key: string | null = API_KEY) =>
  fetch(`${url}/api/broadcast`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === null ? {} : { "x-websocket-api-key": key }) },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })

/** Collects every `event` on `socket` from now on. */
export const collect = <A = unknown>(socket: Socket, event: string): Array<A> => {
  const seen: Array<A> = []
  socket.on(event, (data: A) => seen.push(data))
  return seen
}
