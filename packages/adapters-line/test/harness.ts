/** A LINE adapter wired to a LineTestServer, as a ChannelContract harness, for the tests. */
import { type ChannelContract, Http } from "@kaituan/core"
import { Effect } from "effect"
import { LineChannel, LineSignature, LineTestServer } from "../src/index.js"

export const SECRET = "8c832c018d09a8be1738b32a3be1ee0a"
export const GROUP = "Ca56f94637cc4347f90a25382909b24b9"

/** Retries fast enough for tests. */
export const fastRetry = { retries: 3, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 5_000 }

export const signed = (body: string, secret = SECRET) =>
  Http.request({ path: "/webhooks/line", headers: { "X-Line-Signature": LineSignature.sign(secret, body) }, body })

export const textEvent = (input: {
  readonly eventId: string
  readonly commentId: string
  readonly userId: string
  readonly text: string
  readonly threadId?: string
  readonly replyToken?: string
  readonly timestamp?: number
}) => ({
  type: "message",
  mode: "active",
  timestamp: input.timestamp ?? 1714540800000,
  webhookEventId: input.eventId,
  deliveryContext: { isRedelivery: false },
  source: { type: "group", groupId: input.threadId ?? GROUP, userId: input.userId },
  replyToken: input.replyToken ?? `rt-${input.eventId}`,
  message: { id: input.commentId, type: "text", text: input.text, quoteToken: "q" }
})

export const body = (...events: ReadonlyArray<unknown>) =>
  JSON.stringify({ destination: "U0123456789abcdef0123456789abcdef", events })

export const start = (options: Partial<LineChannel.OptionsInput> = {}) =>
  Effect.gen(function* () {
    const server = yield* Effect.promise(() => LineTestServer.listen())
    const adapter = yield* LineChannel.make({
      channelSecret: SECRET,
      channelAccessToken: server.accessToken,
      apiBase: server.url,
      retry: fastRetry,
      ...options
    })
    return { server, adapter }
  })

export const harness = (
  server: LineTestServer.LineTestServer,
  adapter: LineChannel.LineChannelService
): ChannelContract.Harness => ({
  adapter,
  capabilities: { signsBody: true, idempotentSend: true },
  signedRequest: (b) => signed(b),
  unsignedRequest: (b) => Http.request({ path: "/webhooks/line", body: b }),
  forgedRequest: (b) => signed(b, "not-the-channel-secret"),
  sampleCommentBody: (input) => body(textEvent(input)),
  malformedBody: "i am not jason",
  sent: () => server.accepted(),
  failNext: (status, retryAfterSeconds, times) => server.failNext(status, retryAfterSeconds, times),
  clearFailures: () => server.clearFailures()
})
