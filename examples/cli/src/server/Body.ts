/**
 * Request bodies at the server's boundary: read as raw bytes (signatures are computed over them)
 * within a size limit and a budget of bytes buffered across all requests, JSON nesting checked
 * before any decoder sees it, and the `--max-body` value parsed. Nothing here throws: a body that
 * is refused is a {@link BodyError} with a reason, answered with {@link statusOf}.
 */
import type { IncomingMessage } from "node:http"
import type { Socket } from "node:net"
import { Data } from "effect"

/**
 * Why a body was refused: `too-large` (over the limit; 413), `too-deep` (JSON nested deeper than
 * any platform sends; 400), `busy` (the bytes buffered for all requests would pass the budget;
 * 503), `aborted` (the client went away; nothing to answer).
 */
export type BodyErrorReason = "too-large" | "too-deep" | "busy" | "aborted"

/** A refused body. */
export class BodyError extends Data.TaggedError("BodyError")<{
  readonly reason: BodyErrorReason
  readonly message: string
}> {}

/** The status a refused body is answered with; `undefined` when there is no one to answer. */
export const statusOf = (e: BodyError): number | undefined => {
  switch (e.reason) {
    case "too-large":
      return 413
    case "too-deep":
      return 400
    case "busy":
      return 503
    case "aborted":
      return undefined
  }
}

/** Bytes of request bodies held in memory across all requests, and the most that may be. */
export interface Budget {
  used: number
  readonly max: number
}

/** A budget of `max` buffered bytes. */
export const makeBudget = (max: number): Budget => ({ used: 0, max })

/** A body read whole. What it holds counts against the budget until {@link release}. */
export interface Body {
  readonly _tag: "Body"
  readonly bytes: Uint8Array
  /** Bytes of the budget it holds: its declared length, or what arrived if more. */
  readonly held: number
}

/** Gives a body's bytes back to the budget once the request is answered. */
export const release = (budget: Budget, body: Body): void => {
  budget.used -= body.held
}

const UNITS: Readonly<Record<string, number>> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 * 1024, mb: 1024 * 1024 }

/** `1mb`, `512kb`, `64k`, `100000` → bytes; `undefined` when the value is not a size. */
export const parseSize = (value: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb?|mb?)?$/i.exec(value.trim())
  if (!m) return undefined
  const bytes = Math.floor(Number(m[1]) * UNITS[(m[2] ?? "").toLowerCase()]!)
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined
}

/**
 * Reads the whole body, at most `limit` bytes, holding its declared length (Content-Length, else
 * what arrives) of `budget`. A body declared larger than `limit`, or than what is left of the
 * budget, is refused before a byte of it is read (`too-large`, `busy`); one found larger as it
 * arrives is refused then. Nothing more of a refused body is kept: the caller answers and closes
 * the connection with {@link lingeringClose}. The time a body may take is the server's
 * `requestTimeout` (the client is then answered 408 and the read ends `aborted`).
 */
export const readBody = (req: IncomingMessage, limit: number, budget: Budget): Promise<Body | BodyError> =>
  new Promise((resolve) => {
    const declared = Number(req.headers["content-length"] ?? Number.NaN)
    if (declared > limit)
      return resolve(new BodyError({ reason: "too-large", message: `the body is larger than ${limit} bytes` }))
    let held = Number.isSafeInteger(declared) && declared > 0 ? declared : 0
    if (held > budget.max - budget.used)
      return resolve(new BodyError({ reason: "busy", message: "too many request bodies in flight" }))
    budget.used += held
    const chunks: Array<Buffer> = []
    let size = 0
    let settled = false
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit)
        return refuse(new BodyError({ reason: "too-large", message: `the body is larger than ${limit} bytes` }))
      if (size > held) {
        // undeclared (chunked) or longer than declared: hold what arrived
        budget.used += size - held
        held = size
        if (budget.used > budget.max)
          return refuse(new BodyError({ reason: "busy", message: "too many request bodies in flight" }))
      }
      chunks.push(chunk)
    }
    const refuse = (e: BodyError) => {
      if (settled) return
      settled = true
      budget.used -= held
      chunks.length = 0
      req.off("data", onData)
      resolve(e)
    }
    req.on("data", onData)
    req.on("end", () => {
      if (settled) return
      settled = true
      resolve({ _tag: "Body", bytes: new Uint8Array(Buffer.concat(chunks, size)), held })
    })
    const aborted = () => refuse(new BodyError({ reason: "aborted", message: "the client went away" }))
    req.on("error", aborted)
    req.on("aborted", aborted)
    req.on("close", () => {
      if (!req.complete) aborted()
    })
  })

/**
 * Closes the connection of a refused body once its answer is sent, without resetting it at once:
 * the server half-closes and goes on reading (and dropping) what the client still sends, so the
 * client can read the answer, then destroys the connection when the client closes, after
 * `lingerMs`, or once `maxBytes` more arrived (a client that sends on is not read to the end).
 * Call before answering with `Connection: close`.
 */
export const lingeringClose = (req: IncomingMessage, lingerMs = 2_000, maxBytes = 65_536): void => {
  const socket = req.socket
  // Node ends a `Connection: close` response with `socket.destroySoon()`, which closes the
  // descriptor with the body's rest unread: the kernel then resets the connection, and the
  // client may lose the answer. Half-close instead, and destroy later.
  const s = socket as Socket & { destroySoon?: () => void }
  s.destroySoon = () => {
    socket.end()
    let dropped = 0
    const timer = setTimeout(() => socket.destroy(), lingerMs)
    timer.unref()
    socket.once("close", () => clearTimeout(timer))
    // Node reads the rest of the body into the request (and drops it): count it.
    req.on("data", (chunk: Buffer) => {
      dropped += chunk.length
      if (dropped > maxBytes) socket.destroy()
    })
    req.resume()
  }
}

/**
 * Whether the JSON text in `bytes` nests arrays and objects at most `max` deep (string contents
 * skipped). Not a validator: a cheap scan run before any decoder, so that no decoder meets a
 * nesting that would exhaust its stack (`JSON.stringify` throws a RangeError at about 5,000).
 */
export const jsonDepthWithin = (bytes: Uint8Array, max: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (inString) {
      if (b === 0x5c) i++
      else if (b === 0x22) inString = false
    } else if (b === 0x22) inString = true
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return false
    } else if (b === 0x5d || b === 0x7d) depth--
  }
  return true
}
