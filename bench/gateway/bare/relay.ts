/** The bare relay's serving thread (see main.ts): one route, passed through to the upstream. */
const [port = "0", upstream = ""] = process.argv.slice(2)
const target = `${upstream}/v1/chat/completions`

Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  async fetch(request) {
    if (request.method !== "POST" || !request.url.endsWith("/v1/chat/completions"))
      return new Response("not found", { status: 404 })
    const answered = await fetch(target, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: request.headers.get("authorization") ?? ""
      },
      body: await request.arrayBuffer()
    })
    return new Response(answered.body, {
      status: answered.status,
      headers: { "content-type": answered.headers.get("content-type") ?? "application/json" }
    })
  }
})
console.log(`bare relay on 127.0.0.1:${port}`)
