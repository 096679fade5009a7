/**
 * The benchmark's reference: a plain Socket.IO 4.8 server on Node (the seed's own stack), with the
 * same events as the hub and none of its auth, Redis or limits. `authenticate`/handshake `auth.token`
 * is taken as the user id as is; `POST /api/broadcast` (same body) emits to the room without a key
 * and answers the local count; `/health` reports RSS. Run with `node reference.mjs` (PORT, 0 = any).
 */
import * as http from "node:http"
import { Server } from "socket.io"

const server = http.createServer(async (req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" })
    const active = io.of("/").sockets.size
    return res.end(
      JSON.stringify({ status: "healthy", memory: process.memoryUsage(), connections: { active } })
    )
  }
  if (req.method === "POST" && req.url === "/api/broadcast") {
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    const body = JSON.parse(Buffer.concat(chunks).toString())
    const room =
      body.to === "user"
        ? `user.${body.user_id}`
        : body.to === "thread"
          ? `thread.${body.thread_id}`
          : body.channel
    if (body.to === "all") io.emit(body.event, body.data)
    else io.to(room).emit(body.event, body.data)
    res.writeHead(200, { "content-type": "application/json" })
    return res.end(
      JSON.stringify({ success: true, recipients: io.of("/").adapter.rooms.get(room)?.size ?? 0 })
    )
  }
  res.writeHead(404)
  res.end()
})

const io = new Server(server)
io.on("connection", (socket) => {
  socket.emit("connected", { socketId: socket.id, timestamp: new Date().toISOString() })
  const authenticate = (token) => {
    socket.join(`user.${token}`)
    socket.emit("authenticated", { user: { id: String(token) }, socketId: socket.id })
  }
  if (socket.handshake.auth?.token) authenticate(socket.handshake.auth.token)
  socket.on("authenticate", (payload) => authenticate(payload?.token))
  socket.on("subscribe", (payload, ack) => {
    socket.join(payload.channel)
    ack?.({ success: true, channel: payload.channel })
  })
  socket.on("unsubscribe", (payload, ack) => {
    socket.leave(payload.channel)
    ack?.({ success: true, channel: payload.channel })
  })
  socket.on("typing_start", (payload) =>
    socket
      .to(`thread.${payload.thread_id}`)
      .emit("user_typing", { thread_id: payload.thread_id, typing: true })
  )
  socket.on("notification_read", (payload) => socket.emit("notification_updated", { ...payload, read: true }))
})

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`reference: listening on http://127.0.0.1:${server.address().port}`)
})
process.on("SIGTERM", () => process.exit(0))
