/**
 * A runtime-neutral HTTP request and response, as webhooks and gateway callbacks arrive. The raw
 * body is kept byte for byte because signatures are computed over it.
 *
 * @since 0.1.0
 */

/** An inbound HTTP request. Header names are lower-case. */
export interface InboundRequest {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly rawBody: Uint8Array
}

/** A plain HTTP response. */
export interface PlainResponse {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body: string
}

/** Builds an InboundRequest from parts (tests, servers). */
export const request = (input: {
  readonly method?: string
  readonly path?: string
  readonly query?: Readonly<Record<string, string>>
  readonly headers?: Readonly<Record<string, string | undefined>>
  readonly body?: string | Uint8Array
}): InboundRequest => {
  const headers: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v
  return {
    method: input.method ?? "POST",
    path: input.path ?? "/",
    query: input.query ?? {},
    headers,
    rawBody: typeof input.body === "string" ? new TextEncoder().encode(input.body) : (input.body ?? new Uint8Array())
  }
}
