/**
 * A local stand-in for LINE's Messaging API (node:http on 127.0.0.1, random port), for tests and
 * demos: point `LineChannel`'s `apiBase` (or `LINE_API_BASE`) at {@link LineTestServer.url}.
 *
 * It plays the documented behaviour the adapter relies on: bearer-token auth (401), reply with
 * single-use, expiring reply tokens (400 "Invalid reply token"), push with `X-Line-Retry-Key`
 * (409 once a key was accepted), the member-profile and profile endpoints (404 for unknown users),
 * message validation (1–5 text messages of 1–5,000 characters), an optional per-second rate limit
 * (429), and injected failures ({@link LineTestServer.failNext}).
 *
 * @since 0.1.0
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

/** A message the fake platform accepted. */
export interface Accepted {
  readonly endpoint: "reply" | "push"
  /** Push target (userId / groupId / roomId). */
  readonly to?: string
  readonly replyToken?: string
  readonly retryKey?: string
  readonly messages: ReadonlyArray<unknown>
  /** The id the server gave the first message. */
  readonly id: string
}

/** Any request the server answered. */
export interface Recorded {
  readonly method: string
  readonly path: string
  readonly status: number
}

/** The running server. */
export interface LineTestServer {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string
  /** The channel access token it accepts. */
  readonly accessToken: string
  /** Messages accepted (2xx), in order. */
  readonly accepted: () => ReadonlyArray<Accepted>
  /** Every request with the status it got. */
  readonly requests: () => ReadonlyArray<Recorded>
  /** Answers the next `times` (default 1) requests with `status` (and `Retry-After`); replaces pending failures. */
  readonly failNext: (status: number, retryAfterSeconds?: number, times?: number) => void
  /** Drops pending injected failures. */
  readonly clearFailures: () => void
  /** Makes `token` a valid reply token for `ttlMs` (default 60 s), usable once. */
  readonly issueReplyToken: (token: string, ttlMs?: number) => void
  /** Registers a user's display name, optionally as a member of a group or room, and/or as a 1:1 friend. */
  readonly setProfile: (
    userId: string,
    displayName: string,
    where?: { readonly groupId?: string; readonly roomId?: string; readonly friend?: boolean }
  ) => void
  /** Allows at most `perSecond` requests per second (429 beyond); `undefined` removes the limit. */
  readonly setRateLimit: (perSecond: number | undefined) => void
  /** Stops the server. */
  readonly close: () => Promise<void>
}

/** Options of {@link listen}. */
export interface ListenOptions {
  /** The access token to accept. Default `"test-access-token"`. */
  readonly accessToken?: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

const validMessages = (messages: unknown): string | undefined => {
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > 5) return "messages must hold 1 to 5 items"
  for (const m of messages) {
    const msg = m as { type?: unknown; text?: unknown; originalContentUrl?: unknown; previewImageUrl?: unknown }
    if (msg.type === "image") {
      // An image message: both URLs https, at most 2,000 characters (the Messaging API reference).
      for (const url of [msg.originalContentUrl, msg.previewImageUrl])
        if (typeof url !== "string" || !url.startsWith("https://") || url.length > 2000)
          return "originalContentUrl and previewImageUrl must be https URLs of at most 2000 characters"
      continue
    }
    if (msg.type !== "text") return "only text and image messages are supported by the test server"
    if (typeof msg.text !== "string" || msg.text.length === 0) return "text must not be empty"
    if (msg.text.length > 5000) return "text must be at most 5000 characters"
  }
  return undefined
}

/** Starts the fake Messaging API. */
export const listen = (options: ListenOptions = {}): Promise<LineTestServer> => {
  const accessToken = options.accessToken ?? "test-access-token"
  const accepted: Array<Accepted> = []
  const recorded: Array<Recorded> = []
  const replyTokens = new Map<string, { expiresAt: number; used: boolean }>()
  const retryKeys = new Map<string, string>()
  const groupMembers = new Map<string, string>()
  const roomMembers = new Map<string, string>()
  const friends = new Map<string, string>()
  let failure: { status: number; retryAfterSeconds: number | undefined; remaining: number } | undefined
  let rateLimit: number | undefined
  let window = { second: 0, count: 0 }
  let nextId = 100000000000000000n

  const answer = (
    res: ServerResponse,
    req: IncomingMessage,
    path: string,
    status: number,
    body: unknown,
    headers: Record<string, string> = {}
  ) => {
    recorded.push({ method: req.method ?? "", path, status })
    res.writeHead(status, { "content-type": "application/json", ...headers })
    res.end(JSON.stringify(body))
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost")
    const path = url.pathname
    const raw = await readBody(req)
    if (req.headers.authorization !== `Bearer ${accessToken}`) {
      return answer(res, req, path, 401, {
        message: "Authentication failed. Confirm that the access token in the authorization header is valid."
      })
    }
    if (failure !== undefined && failure.remaining > 0) {
      failure.remaining -= 1
      const { status, retryAfterSeconds } = failure
      if (failure.remaining === 0) failure = undefined
      return answer(
        res,
        req,
        path,
        status,
        { message: status === 429 ? "The API rate limit has been exceeded. Try again later." : "Injected failure" },
        retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) }
      )
    }
    if (rateLimit !== undefined) {
      const second = Math.floor(Date.now() / 1000)
      window = window.second === second ? { second, count: window.count + 1 } : { second, count: 1 }
      if (window.count > rateLimit) {
        return answer(res, req, path, 429, { message: "The API rate limit has been exceeded. Try again later." })
      }
    }
    let body: Record<string, unknown> = {}
    if (req.method === "POST") {
      try {
        body = JSON.parse(raw) as Record<string, unknown>
      } catch {
        return answer(res, req, path, 400, {
          message: "The request body has 1 error(s)",
          details: [{ message: "invalid JSON" }]
        })
      }
    }
    const sent = () => {
      nextId += 1n
      return { id: String(nextId), quoteToken: `q${nextId}` }
    }

    if (req.method === "POST" && path === "/v2/bot/message/reply") {
      const problem = validMessages(body["messages"])
      if (problem)
        return answer(res, req, path, 400, {
          message: "The request body has 1 error(s)",
          details: [{ message: problem }]
        })
      const token = body["replyToken"]
      const known = typeof token === "string" ? replyTokens.get(token) : undefined
      if (typeof token !== "string" || known === undefined || known.used || known.expiresAt < Date.now()) {
        return answer(res, req, path, 400, { message: "Invalid reply token" })
      }
      known.used = true
      const messages = body["messages"] as ReadonlyArray<unknown>
      const ids = messages.map(sent)
      accepted.push({ endpoint: "reply", replyToken: token, messages, id: ids[0]!.id })
      return answer(res, req, path, 200, { sentMessages: ids })
    }

    if (req.method === "POST" && path === "/v2/bot/message/push") {
      const key = req.headers["x-line-retry-key"]
      const retryKey = typeof key === "string" ? key : undefined
      if (retryKey !== undefined && !UUID.test(retryKey)) {
        return answer(res, req, path, 400, { message: "The value for the 'X-Line-Retry-Key' header is invalid" })
      }
      if (retryKey !== undefined && retryKeys.has(retryKey)) {
        return answer(
          res,
          req,
          path,
          409,
          { message: "The retry key is already accepted", sentMessages: [{ id: retryKeys.get(retryKey) }] },
          { "x-line-accepted-request-id": retryKeys.get(retryKey)! }
        )
      }
      const to = body["to"]
      if (typeof to !== "string" || to === "") {
        return answer(res, req, path, 400, {
          message: "The request body has 1 error(s)",
          details: [{ message: "to is required", property: "to" }]
        })
      }
      const problem = validMessages(body["messages"])
      if (problem)
        return answer(res, req, path, 400, {
          message: "The request body has 1 error(s)",
          details: [{ message: problem }]
        })
      const messages = body["messages"] as ReadonlyArray<unknown>
      const ids = messages.map(sent)
      if (retryKey !== undefined) retryKeys.set(retryKey, ids[0]!.id)
      accepted.push({ endpoint: "push", to, messages, id: ids[0]!.id, ...(retryKey === undefined ? {} : { retryKey }) })
      return answer(res, req, path, 200, { sentMessages: ids })
    }

    if (req.method === "GET") {
      const member = /^\/v2\/bot\/(group|room)\/([^/]+)\/member\/([^/]+)$/.exec(path)
      if (member) {
        const [, kind, thread, user] = member
        const key = `${decodeURIComponent(thread!)}/${decodeURIComponent(user!)}`
        const name = (kind === "group" ? groupMembers : roomMembers).get(key)
        return name === undefined
          ? answer(res, req, path, 404, { message: "Not found" })
          : answer(res, req, path, 200, { displayName: name, userId: decodeURIComponent(user!) })
      }
      const profile = /^\/v2\/bot\/profile\/([^/]+)$/.exec(path)
      if (profile) {
        const userId = decodeURIComponent(profile[1]!)
        const name = friends.get(userId)
        return name === undefined
          ? answer(res, req, path, 404, { message: "Not found" })
          : answer(res, req, path, 200, { displayName: name, userId, language: "zh-TW" })
      }
    }
    return answer(res, req, path, 404, { message: "Not found" })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500)
      res.end()
    })
  })
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        accessToken,
        accepted: () => [...accepted],
        requests: () => [...recorded],
        failNext: (status, retryAfterSeconds, times = 1) => {
          failure = times > 0 ? { status, retryAfterSeconds, remaining: times } : undefined
        },
        clearFailures: () => {
          failure = undefined
        },
        issueReplyToken: (token, ttlMs = 60_000) => {
          replyTokens.set(token, { expiresAt: Date.now() + ttlMs, used: false })
        },
        setProfile: (userId, displayName, where = { friend: true }) => {
          if (where.groupId !== undefined) groupMembers.set(`${where.groupId}/${userId}`, displayName)
          if (where.roomId !== undefined) roomMembers.set(`${where.roomId}/${userId}`, displayName)
          if (where.friend === true) friends.set(userId, displayName)
        },
        setRateLimit: (perSecond) => {
          rateLimit = perSecond
        },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
}

/** {@link listen} as a scoped Effect: the server stops when the scope closes. */
export const scoped = (options: ListenOptions = {}): Effect.Effect<LineTestServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => listen(options)),
    (s) => Effect.promise(() => s.close())
  )
