/**
 * An Effect `HttpClientResponse` over a body that has already arrived in full (the bytes of a
 * `node:http` answer, a test double's text): reading it costs no Web stream, no `Response` and
 * no promise, which is most of what a `fetch` round trip spends besides the network.
 *
 * @internal
 */
import { Effect, Inspectable, Option, Pipeable, Stream } from "effect"
import * as Cookies from "effect/http/Cookies"
import * as Headers from "effect/http/Headers"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as UrlParams from "effect/http/UrlParams"

const decoder = new TextDecoder()

/** A whole answer: status, headers (any case, repeated ones as arrays) and the body bytes or text. */
export interface Buffered {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: Uint8Array | string
}

const headersOf = (raw: Buffered["headers"]): Headers.Headers => {
  const out: Record<string, string> = {}
  for (const name in raw) {
    const v = raw[name]
    if (v === undefined || name.toLowerCase() === "set-cookie") continue
    out[name.toLowerCase()] = typeof v === "string" ? v : v.join(", ")
  }
  return Headers.fromRecordUnsafe(out)
}

class BufferedResponse implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId] = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId] = HttpIncomingMessage.TypeId
  readonly status: number
  readonly headers: Headers.Headers
  private readonly raw: Buffered
  private bytesCache: Uint8Array | undefined
  private textCache: string | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly url: string,
    raw: Buffered
  ) {
    this.raw = raw
    this.status = raw.status
    this.headers = headersOf(raw.headers)
  }

  private bytes(): Uint8Array {
    if (this.bytesCache === undefined)
      this.bytesCache = typeof this.raw.body === "string" ? new TextEncoder().encode(this.raw.body) : this.raw.body
    return this.bytesCache
  }

  private string(): string {
    if (this.textCache === undefined)
      this.textCache = typeof this.raw.body === "string" ? this.raw.body : decoder.decode(this.raw.body)
    return this.textCache
  }

  private decodeError(cause: unknown, description?: string) {
    return new HttpClientError.HttpClientError({
      reason: new HttpClientError.DecodeError({
        request: this.request,
        response: this,
        cause,
        ...(description === undefined ? {} : { description })
      })
    })
  }

  get cookies(): Cookies.Cookies {
    const set = this.raw.headers["set-cookie"]
    return set === undefined ? Cookies.empty : Cookies.fromSetCookie(typeof set === "string" ? [set] : set)
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get text(): Effect.Effect<string, HttpClientError.HttpClientError> {
    return Effect.sync(() => this.string())
  }

  get json(): Effect.Effect<any, HttpClientError.HttpClientError> {
    return Effect.try({
      try: () => {
        const text = this.string()
        return text === "" ? null : JSON.parse(text)
      },
      catch: (cause) => this.decodeError(cause)
    })
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.HttpClientError> {
    return Effect.sync(() => {
      const b = this.bytes()
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
    })
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.HttpClientError> {
    return Effect.try({
      try: () => UrlParams.fromInput(new URLSearchParams(this.string())),
      catch: (cause) => this.decodeError(cause)
    })
  }

  get formData(): Effect.Effect<FormData, HttpClientError.HttpClientError> {
    return Effect.tryPromise({
      try: () =>
        new Response(this.bytes() as Uint8Array<ArrayBuffer>, {
          headers: { "content-type": this.headers["content-type"] ?? "" }
        }).formData(),
      catch: (cause) => this.decodeError(cause)
    })
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.HttpClientError> {
    return Stream.suspend(() => Stream.succeed(this.bytes()))
  }

  get upgrade(): Effect.Effect<never, HttpClientError.HttpClientError> {
    return Effect.fail(
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.StatusCodeError({
          request: this.request,
          response: this,
          description: "a buffered response cannot hand over its connection"
        })
      })
    )
  }

  toJSON(): unknown {
    return { _id: "HttpClientResponse", status: this.status }
  }

  toString(): string {
    return `HttpClientResponse(${this.status})`
  }

  [Inspectable.NodeInspectSymbol](): unknown {
    return this.toJSON()
  }

  pipe() {
    // biome-ignore lint/complexity/noArguments: Pipeable's calling convention
    return Pipeable.pipeArguments(this, arguments)
  }
}

/** An `HttpClientResponse` over a whole answer. */
export const make = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  raw: Buffered
): HttpClientResponse.HttpClientResponse => new BufferedResponse(request, url.href, raw)
