/**
 * Reading a request body as raw bytes (signatures are computed over them) with a size limit,
 * and parsing the `--max-body` value.
 */
import type { IncomingMessage } from "node:http"

/** The body, or why it was not read. */
export type BodyResult =
  | { readonly _tag: "Body"; readonly bytes: Uint8Array }
  | { readonly _tag: "TooLarge"; readonly limit: number }
  | { readonly _tag: "Aborted" }

const UNITS: Readonly<Record<string, number>> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 * 1024, mb: 1024 * 1024 }

/** `1mb`, `512kb`, `64k`, `100000` → bytes; `undefined` when the value is not a size. */
export const parseSize = (value: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb?|mb?)?$/i.exec(value.trim())
  if (!m) return undefined
  const bytes = Math.floor(Number(m[1]) * UNITS[(m[2] ?? "").toLowerCase()]!)
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined
}

/**
 * Reads the whole body, at most `limit` bytes. A body declared (Content-Length) or found larger
 * is `TooLarge`: the rest is read and thrown away (up to a hard cap, beyond which the caller
 * closes the connection) so the client gets its 413 instead of a reset.
 */
export const readBody = (req: IncomingMessage, limit: number): Promise<BodyResult> =>
  new Promise((resolve) => {
    const declared = Number(req.headers["content-length"] ?? Number.NaN)
    const chunks: Array<Buffer> = []
    let size = 0
    let tooLarge = Number.isFinite(declared) && declared > limit
    let settled = false
    const settle = (r: BodyResult) => {
      if (settled) return
      settled = true
      resolve(r)
    }
    if (tooLarge && declared > limit * 4 + 1_048_576) {
      // Not worth reading: answer now; the caller closes the connection after the answer.
      req.pause()
      return settle({ _tag: "TooLarge", limit })
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) tooLarge = true
      if (tooLarge) {
        chunks.length = 0
        if (size > limit * 4 + 1_048_576) {
          req.pause()
          settle({ _tag: "TooLarge", limit })
        }
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () =>
      settle(
        tooLarge ? { _tag: "TooLarge", limit } : { _tag: "Body", bytes: new Uint8Array(Buffer.concat(chunks, size)) }
      )
    )
    req.on("error", () => settle({ _tag: "Aborted" }))
    req.on("aborted", () => settle({ _tag: "Aborted" }))
  })
