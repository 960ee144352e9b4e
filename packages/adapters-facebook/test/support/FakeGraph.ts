/**
 * A local HTTP server playing the Graph API on 127.0.0.1: `GET /{id}/comments` with cursor
 * paging, `GET /{comment-id}?fields=created_time`, `POST /{page-id}/messages` (private replies,
 * one per comment, error #10900 on a second one), `POST /{comment-id}/comments` and
 * `POST /{post-id}/comments` (at most 8,000 characters), `POST /{page-id}/feed` (63,206), token and
 * `appsecret_proof` checks, and error injection.
 */
import { createHmac } from "node:crypto"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"

export interface Received {
  readonly method: string
  readonly path: string
  readonly query: Record<string, string>
  readonly body: Record<string, unknown> | undefined
}

export interface Answer {
  readonly status: number
  readonly body: unknown
  readonly headers?: Record<string, string>
}

export interface FakeGraph {
  readonly base: string
  readonly version: string
  readonly token: string
  readonly appSecret: string
  readonly requests: Array<Received>
  /** POSTs answered 2xx. */
  readonly accepted: Array<Received>
  /** Comments served per object id (post or live video). */
  readonly comments: Map<string, Array<Record<string, unknown>>>
  /** Comments already answered privately. */
  readonly replied: Set<string>
  readonly failNext: (status: number, retryAfterSeconds?: number, times?: number) => void
  readonly clearFailures: () => void
  readonly script: (...answers: ReadonlyArray<Answer>) => void
  readonly close: () => Promise<void>
}

const graphError = (status: number): { message: string; type: string; code: number } =>
  status === 429
    ? { message: "(#4) Application request limit reached", type: "OAuthException", code: 4 }
    : status >= 500
      ? {
          message: "An unexpected error has occurred. Please retry your request later.",
          type: "OAuthException",
          code: 2
        }
      : status === 401
        ? { message: "Invalid OAuth access token - Cannot parse access token", type: "OAuthException", code: 190 }
        : status === 403
          ? {
              message: "(#200) Requires pages_messaging permission to manage the object",
              type: "OAuthException",
              code: 200
            }
          : { message: "(#100) Invalid parameter", type: "OAuthException", code: 100 }

export const start = (input: { token?: string; appSecret?: string; version?: string } = {}): Promise<FakeGraph> => {
  const token = input.token ?? "EAAB-page-token"
  const appSecret = input.appSecret ?? "test_app_secret_0123456789abcdef"
  const version = input.version ?? "v23.0"
  const requests: Array<Received> = []
  const accepted: Array<Received> = []
  const comments = new Map<string, Array<Record<string, unknown>>>()
  const replied = new Set<string>()
  let failures: Array<{ status: number; retryAfter?: number | undefined }> = []
  let scripted: Array<Answer> = []
  let n = 0
  const findComment = (id: string) => {
    for (const list of comments.values()) for (const c of list) if (c["id"] === id) return c
    return undefined
  }
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const u = new URL(req.url ?? "/", "http://127.0.0.1")
      const raw = Buffer.concat(chunks).toString("utf8")
      let body: Record<string, unknown> | undefined
      try {
        body = raw.length > 0 ? (JSON.parse(raw) as Record<string, unknown>) : undefined
      } catch {
        body = undefined
      }
      const method = req.method ?? "GET"
      const path = decodeURIComponent(u.pathname)
      const received: Received = { method, path, query: Object.fromEntries(u.searchParams), body }
      requests.push(received)
      const answer = (a: Answer) => {
        if (a.status < 300 && method === "POST") accepted.push(received)
        res.writeHead(a.status, { "content-type": "application/json", ...(a.headers ?? {}) })
        res.end(JSON.stringify(a.body))
      }
      const error = (status: number, e: { message: string; type?: string; code: number; error_subcode?: number }) =>
        answer({ status, body: { error: { type: "OAuthException", fbtrace_id: "AbCdEf", ...e } } })
      const s = scripted.shift()
      if (s !== undefined) return answer(s)
      const f = failures.shift()
      if (f !== undefined)
        return answer({
          status: f.status,
          headers: f.retryAfter === undefined ? {} : { "retry-after": String(f.retryAfter) },
          body: { error: { ...graphError(f.status), fbtrace_id: "Inj3cted" } }
        })
      if (received.query["access_token"] !== token)
        return error(400, { message: "Invalid OAuth access token - Cannot parse access token", code: 190 })
      const proof = createHmac("sha256", appSecret).update(token).digest("hex")
      if (received.query["appsecret_proof"] !== undefined && received.query["appsecret_proof"] !== proof)
        return error(400, { message: "Invalid appsecret_proof provided in the API argument", code: 100 })
      const parts = path.split("/").filter((p) => p.length > 0)
      if (parts[0] !== version) return error(400, { message: "Unknown path components", code: 2500 })
      const [, id, edge] = parts
      if (id === undefined) return error(400, { message: "Unsupported get request", code: 100 })
      if (method === "GET" && edge === "comments") {
        const list = comments.get(id)
        if (list === undefined)
          return error(400, {
            message: `Unsupported get request. Object with ID '${id}' does not exist`,
            code: 100,
            error_subcode: 33
          })
        const limit = Number(received.query["limit"] ?? "25")
        const start =
          received.query["after"] === undefined ? 0 : Number(Buffer.from(received.query["after"], "base64").toString())
        const data = list.slice(start, start + limit)
        const end = start + data.length
        const cursors =
          data.length === 0
            ? undefined
            : {
                before: Buffer.from(String(start)).toString("base64"),
                after: Buffer.from(String(end)).toString("base64")
              }
        return answer({
          status: 200,
          body: {
            data,
            paging: {
              ...(cursors === undefined ? {} : { cursors }),
              ...(end < list.length
                ? {
                    next: `http://127.0.0.1/${version}/${id}/comments?after=${cursors?.after ?? ""}&access_token=${token}`
                  }
                : {})
            }
          }
        })
      }
      if (method === "GET" && edge === undefined) {
        const c = findComment(id)
        if (c === undefined)
          return error(400, {
            message: `Unsupported get request. Object with ID '${id}' does not exist`,
            code: 100,
            error_subcode: 33
          })
        return answer({ status: 200, body: { id, created_time: c["created_time"] } })
      }
      if (method === "POST" && edge === "messages") {
        const recipient = body?.["recipient"] as Record<string, unknown> | undefined
        const commentId = recipient?.["comment_id"]
        const text = (body?.["message"] as Record<string, unknown> | undefined)?.["text"]
        if (typeof commentId !== "string" || typeof text !== "string" || text.length === 0)
          return error(400, { message: "(#100) The parameter recipient is required", code: 100 })
        if (replied.has(commentId)) return error(400, { message: "(#10900) Activity already replied to", code: 10900 })
        replied.add(commentId)
        n += 1
        return answer({ status: 200, body: { recipient_id: `2400000000000${n}`, message_id: `m_fake${n}` } })
      }
      if (method === "POST" && edge === "feed") {
        const text = body?.["message"]
        if (typeof text !== "string" || text.length === 0)
          return error(400, { message: "(#100) Missing message or attachment", code: 100 })
        if (text.length > 63_206) return error(400, { message: "(#100) The message is too long", code: 100 })
        n += 1
        return answer({ status: 200, body: { id: `${id}_8${n}` } })
      }
      if (method === "POST" && edge === "comments") {
        const text = body?.["message"]
        if (typeof text !== "string" || text.length === 0)
          return error(400, { message: "(#100) Missing message or attachment", code: 100 })
        if (text.length > 8_000) return error(400, { message: "(#100) The comment is too long", code: 100 })
        n += 1
        return answer({ status: 200, body: { id: `${id.split("_")[0]}_9${n}` } })
      }
      return error(400, { message: "Unsupported request", code: 100 })
    })
  })
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port
      resolve({
        base: `http://127.0.0.1:${port}`,
        version,
        token,
        appSecret,
        requests,
        accepted,
        comments,
        replied,
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
