/**
 * `kaituan serve` under slow and greedy clients, with real sockets on 127.0.0.1: slow bodies and
 * headers are cut off at their timeouts, the bytes of bodies in memory are capped, a body over the
 * limit is answered 413 at once and its connection closed, connections are capped, and shutdown
 * answers the requests that arrive on keep-alive connections while it drains. Every wait is on an
 * event (a socket closing, a response); the loops are bounded.
 */
import { Agent, request } from "node:http"
import net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { lineBody, lineHeaders, post, startFull } from "./serveSupport.js"

type Full = Awaited<ReturnType<typeof startFull>>

/** A raw connection: what the server sent, and a promise of it once the server closed the connection. */
const open = async (url: string) => {
  const { port } = new URL(url)
  const socket = net.connect(Number(port), "127.0.0.1")
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve)
    socket.once("error", reject)
  })
  let received = ""
  socket.on("data", (d: Buffer) => {
    received += d.toString("latin1")
  })
  socket.on("error", () => {})
  const closed = new Promise<string>((resolve) => socket.once("close", () => resolve(received)))
  return { socket, closed, received: () => received }
}

const headOf = (path: string, headers: Record<string, string>) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`

/** A signed LINE request's head for a body of `length` bytes (the signature does not matter: it is never read). */
const slowPost = (length: number) =>
  headOf("/webhooks/line", {
    "content-type": "application/json",
    "x-line-signature": "c2lnbmF0dXJl",
    "content-length": String(length)
  })

const goodWebhook = async (f: Full, id: string) => {
  const body = lineBody([{ id, user: `U-${id}`, text: "紅+1" }])
  return (await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status
}

describe("kaituan serve: slow and greedy clients", () => {
  it("slow bodies are cut off at the request timeout, and the bytes they hold are capped (503 past the cap)", async () => {
    const f = await startFull("slow", {
      maxBodyBytes: 64 * 1024,
      maxBufferedBytes: 200 * 1024,
      requestTimeoutMs: 800,
      headersTimeoutMs: 400
    })
    try {
      const clients = await Promise.all(Array.from({ length: 8 }, () => open(f.server.url)))
      // each sends its head and 50,000 of the 60,000 bytes it announced, then stalls
      for (const c of clients) c.socket.write(`${slowPost(60_000)}${"x".repeat(50_000)}`)
      // and one that never finishes its headers
      const slowHeaders = await open(f.server.url)
      slowHeaders.socket.write("POST /webhooks/line HTTP/1.1\r\nHost: 127.0.0.1\r\n")
      // The server closes every one of them by itself: nothing is held past the timeouts.
      const answers = await Promise.all(clients.map((c) => c.closed))
      const statuses = answers.map((a) => a.slice(9, 12))
      // 8 × 50,000 bytes do not fit in 200 KiB: the bodies past the cap were refused at once
      expect(statuses.filter((s) => s === "503").length).toBeGreaterThanOrEqual(4)
      // …and the ones that fit were taken, then timed out (a server refusing everything fails here)
      expect(statuses.filter((s) => s === "408").length).toBeGreaterThanOrEqual(1)
      expect(statuses.every((s) => s === "503" || s === "408")).toBe(true)
      expect((await slowHeaders.closed).slice(9, 12)).toBe("408")
      // the memory they held is free again: a good webhook goes through
      expect(await goodWebhook(f, "after-slow")).toBe(200)
    } finally {
      await f.stop()
    }
  })

  it("a body announced over the limit is answered 413 before the rest is sent, and the connection closed", async () => {
    const f = await startFull("too-large", { maxBodyBytes: 64 * 1024 })
    try {
      const c = await open(f.server.url)
      // 200 KiB announced, 1 KiB sent, then nothing: the answer must not wait for the rest
      c.socket.write(`${slowPost(200 * 1024)}${"x".repeat(1024)}`)
      const answer = await c.closed
      expect(answer.slice(0, 12)).toBe("HTTP/1.1 413")
      expect(answer.toLowerCase()).toContain("connection: close")
      expect(await goodWebhook(f, "after-413")).toBe(200)
    } finally {
      await f.stop()
    }
  })

  it("connections past maxConnections are closed at once; a freed slot serves again", async () => {
    const f = await startFull("conns", { maxConnections: 4 })
    try {
      const held = await Promise.all(Array.from({ length: 4 }, () => open(f.server.url)))
      // the four are accepted: each gets an answer and stays open (keep-alive)
      for (const h of held) {
        const answered = new Promise<void>((resolve) => h.socket.once("data", () => resolve()))
        h.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await answered
      }
      const fifth = await open(f.server.url)
      fifth.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
      expect(await fifth.closed).toBe("")
      held[0]!.socket.destroy()
      await held[0]!.closed
      // the server sees the slot free once it handled the close: try a bounded number of times
      let status = 0
      for (let i = 0; i < 50 && status !== 200; i++) {
        const c = await open(f.server.url)
        c.socket.end("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status = Number((await c.closed).slice(9, 12))
      }
      expect(status).toBe(200)
      for (const h of held) h.socket.destroy()
    } finally {
      await f.stop()
    }
  })
})

describe("kaituan serve: draining on shutdown", () => {
  it("a request that arrives on a keep-alive connection during shutdown is answered (Connection: close), not reset", async () => {
    const f = await startFull("drain", { drainMs: 3_000 })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const send = (body: string) =>
      new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const url = new URL(`${f.server.url}/webhooks/line`)
        const req = request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: "POST",
            headers: { ...lineHeaders(body), "content-length": String(Buffer.byteLength(body)) }
          },
          (res) => {
            res.resume()
            res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }))
          }
        )
        req.on("error", reject)
        req.end(body)
      })
    try {
      const first = await send(lineBody([{ id: "d1", user: "U-d1", text: "紅+1" }]))
      expect(first.status).toBe(200)
      expect(agent.freeSockets[Object.keys(agent.freeSockets)[0]!]?.length).toBe(1)
      // shutdown starts; the client's next request goes out on its idle keep-alive connection
      const closing = f.server.close()
      const second = await send(lineBody([{ id: "d2", user: "U-d2", text: "白+1" }]))
      expect(second).toEqual({ status: 200, connection: "close" })
      await closing
    } finally {
      agent.destroy()
      await f.stop()
    }
  })
})
