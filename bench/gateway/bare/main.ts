/**
 * The bare relay: the least a bun proxy can do, and so the floor the router's latency goals are
 * measured against on this machine. `Bun.serve` in a `Worker` (as the router serves) reads the
 * request, calls the upstream with `fetch` and hands its answer back, body streamed as it is. No
 * authentication, limits, translation or accounting: what it adds is bun, the two sockets and
 * the scheduler, which no gateway on bun can avoid.
 *
 * Arguments: `<port> <upstream origin>`. Listens on 127.0.0.1 only.
 */
const [port = "0", upstream = ""] = process.argv.slice(2)
if (upstream === "") throw new Error("usage: bun bench/gateway/bare/main.ts <port> <upstream origin>")

const worker = new Worker(new URL("./relay.ts", import.meta.url), { argv: [port, upstream] })
worker.addEventListener("error", (event) => {
  console.error("bare relay: the worker failed:", event.message)
  process.exit(1)
})
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0))
