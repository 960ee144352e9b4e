/**
 * A local HTTP server playing the Telegram Bot API (`sendMessage`, `setWebhook`) on 127.0.0.1,
 * with error injection (429 with `parameters.retry_after`, 5xx, 4xx) and scripted answers.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"

export interface Received {
  readonly method: string
  readonly body: Record<string, unknown>
}

export interface Answer {
  readonly status: number
  readonly body: unknown
  readonly headers?: Record<string, string>
}

export interface FakeBotApi {
  readonly base: string
  readonly token: string
  /** Every request that reached the server. */
  readonly requests: Array<Received>
  /** Requests answered 2xx. */
  readonly accepted: Array<Received>
  readonly failNext: (status: number, retryAfterSeconds?: number, times?: number) => void
  readonly clearFailures: () => void
  /** Answers the next requests with these exact answers, in order (before any injected failure). */
  readonly script: (...answers: ReadonlyArray<Answer>) => void
  readonly close: () => Promise<void>
}

const description = (status: number): string =>
  status === 429
    ? "Too Many Requests: retry after"
    : status === 400
      ? "Bad Request: chat not found"
      : status === 403
        ? "Forbidden: bot was blocked by the user"
        : status === 401
          ? "Unauthorized"
          : status >= 500
            ? "Internal Server Error"
            : "Error"

export const start = (token = "123456:TEST-token_abc"): Promise<FakeBotApi> => {
  const requests: Array<Received> = []
  const accepted: Array<Received> = []
  let failures: Array<{ status: number; retryAfter?: number | undefined }> = []
  let scripted: Array<Answer> = []
  let nextId = 1000
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8")
      let body: Record<string, unknown> = {}
      try {
        body = raw.length > 0 ? (JSON.parse(raw) as Record<string, unknown>) : {}
      } catch {
        body = {}
      }
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? "")
      const method = m?.[2] ?? ""
      const received = { method, body }
      requests.push(received)
      const answer = (a: Answer) => {
        res.writeHead(a.status, { "content-type": "application/json", ...(a.headers ?? {}) })
        res.end(JSON.stringify(a.body))
      }
      const s = scripted.shift()
      if (s !== undefined) {
        if (s.status < 300) accepted.push(received)
        return answer(s)
      }
      const f = failures.shift()
      if (f !== undefined) {
        return answer({
          status: f.status,
          headers: f.retryAfter === undefined ? {} : { "retry-after": String(f.retryAfter) },
          body: {
            ok: false,
            error_code: f.status,
            description: description(f.status),
            ...(f.retryAfter === undefined ? {} : { parameters: { retry_after: f.retryAfter } })
          }
        })
      }
      if (m === null || m[1] !== token)
        return answer({ status: 401, body: { ok: false, error_code: 401, description: "Unauthorized" } })
      if (method === "sendPhoto") {
        // The Bot API: `photo` a file_id or an HTTP URL Telegram fetches; `caption` 0-1024 characters.
        const photo = body["photo"]
        const caption = body["caption"]
        if (body["chat_id"] === undefined || typeof photo !== "string" || !/^https?:\/\//.test(photo))
          return answer({
            status: 400,
            body: { ok: false, error_code: 400, description: "Bad Request: wrong remote file identifier specified" }
          })
        if (caption !== undefined && (typeof caption !== "string" || caption.length > 1024))
          return answer({
            status: 400,
            body: { ok: false, error_code: 400, description: "Bad Request: message caption is too long" }
          })
        accepted.push(received)
        nextId += 1
        return answer({
          status: 200,
          body: {
            ok: true,
            result: {
              message_id: nextId,
              chat: { id: Number(body["chat_id"]), type: "private" },
              date: Math.floor(Date.now() / 1000),
              photo: [{ file_id: `photo-${nextId}`, file_unique_id: `u${nextId}`, width: 320, height: 320 }],
              ...(caption === undefined ? {} : { caption })
            }
          }
        })
      }
      if (method === "sendMessage") {
        if (body["chat_id"] === undefined)
          return answer({
            status: 400,
            body: { ok: false, error_code: 400, description: "Bad Request: chat_id is empty" }
          })
        if (typeof body["text"] !== "string" || body["text"].length === 0)
          return answer({
            status: 400,
            body: { ok: false, error_code: 400, description: "Bad Request: message text is empty" }
          })
        if (body["text"].length > 4096)
          return answer({
            status: 400,
            body: { ok: false, error_code: 400, description: "Bad Request: message is too long" }
          })
        accepted.push(received)
        nextId += 1
        return answer({
          status: 200,
          body: {
            ok: true,
            result: {
              message_id: nextId,
              chat: { id: Number(body["chat_id"]), type: "supergroup" },
              date: Math.floor(Date.now() / 1000),
              text: body["text"]
            }
          }
        })
      }
      if (method === "setWebhook") {
        accepted.push(received)
        return answer({ status: 200, body: { ok: true, result: true, description: "Webhook was set" } })
      }
      return answer({ status: 404, body: { ok: false, error_code: 404, description: "Not Found" } })
    })
  })
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port
      resolve({
        base: `http://127.0.0.1:${port}`,
        token,
        requests,
        accepted,
        failNext: (status, retryAfterSeconds, times = 1) => {
          failures = Array.from({ length: times }, () => ({ status, retryAfter: retryAfterSeconds }))
        },
        clearFailures: () => {
          failures = []
        },
        script: (...answers) => {
          scripted = [...answers]
        },
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections()
            server.close(() => r())
          })
      })
    })
  })
}
