/**
 * The LINE adapter's default transport: an Effect `HttpClient` (through core's
 * `HttpClient.makeTransport`) over `node:http` / `node:https` and their global keep-alive agents.
 * Per call it allocates far less than `fetch` (no Web streams, no `Response`), which shows when
 * the relay pushes thousands of confirmations; interruption (a timeout) aborts the request.
 *
 * @internal
 */
import { type IncomingMessage, request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import { HttpClient } from "@kaituan/core"

/** The `node:http` transport. */
export const nodeTransport: HttpClient.Transport = HttpClient.makeTransport(
  (req, signal) =>
    new Promise<HttpClient.TransportResponse>((resolve, reject) => {
      const { protocol } = req.url
      const request = protocol === "https:" ? httpsRequest : protocol === "http:" ? httpRequest : undefined
      if (request === undefined) return reject(new Error(`unsupported protocol ${protocol}`))
      const headers: Record<string, string> = { ...req.headers }
      if (req.body !== undefined) headers["content-length"] = String(req.body.byteLength)
      const onResponse = (res: IncomingMessage) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
          })
        )
        res.on("error", reject)
        res.on("aborted", () => reject(new Error("the response was cut short")))
      }
      let sent: ReturnType<typeof httpRequest>
      try {
        sent = request(req.url, { method: req.method, headers, signal }, onResponse)
      } catch (e) {
        return reject(e)
      }
      sent.on("error", reject)
      sent.end(req.body)
    })
)
