/**
 * The pickup code's QR image of `kaituan serve`: `GET /qr/<token>.png`, and the `pickup-ready`
 * messages that carry it (`imageUrl`: LINE sends it as an image message, Telegram as a photo,
 * Facebook as a link).
 *
 * The URL never shows the code, and nobody who knows an order or shipment id can make one: the
 * token is the shipment id and an HMAC-SHA256 of it (`<base64url id>.<base64url mac>`, 128 bits of
 * the MAC) under a key only the server has: `KAITUAN_QR_SECRET` (32 characters or more), else a
 * random key made once and kept in the database (stream `host:qr-key`), so links stay valid across
 * restarts and across servers sharing the database. The image is served while the parcel waits at
 * the meet-up (a pickup shipment, shipped, not picked up yet); afterwards, for an unknown shipment
 * and for a token that does not verify alike, the answer is the same 404. The PNG is `no-store`.
 *
 * Links need `KAITUAN_PUBLIC_URL` (LINE and Telegram fetch only https images): without it, messages
 * go without an image, as before.
 *
 * The QR code is drawn by `qrcode` (npm), the most used QR encoder for Node: error correction M,
 * a quiet zone of 2 modules, 480 px wide (LINE asks for at most 10 MB; this is about 2 KB).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { type ChannelAdapter, type Notification, Shipment, Storage } from "@kaituan/core"
import { Effect, Schema } from "effect"
import QRCode from "qrcode"
import { type Reply, text } from "./Reply.js"

/** The stream that keeps the generated key when `KAITUAN_QR_SECRET` is not set. */
export const KEY_STREAM = "host:qr-key"

/** The shortest `KAITUAN_QR_SECRET` accepted. */
export const MIN_SECRET_LENGTH = 32

const MAC_BYTES = 16

const b64url = (b: Buffer): string => b.toString("base64url")

const macOf = (key: Uint8Array, shipmentId: string): Buffer =>
  createHmac("sha256", key).update(`kaituan-pickup-qr:${shipmentId}`).digest().subarray(0, MAC_BYTES)

/** The token of a shipment's QR image. */
export const tokenFor = (key: Uint8Array, shipmentId: string): string =>
  `${b64url(Buffer.from(shipmentId, "utf8"))}.${b64url(macOf(key, shipmentId))}`

/** The shipment id a token names, when its MAC verifies (compared in constant time); else undefined. */
export const verifyToken = (key: Uint8Array, token: string): string | undefined => {
  const m = /^([A-Za-z0-9_-]{1,700})\.([A-Za-z0-9_-]{22})$/.exec(token)
  if (m === null) return undefined
  const shipmentId = Buffer.from(m[1]!, "base64url").toString("utf8")
  if (shipmentId === "" || b64url(Buffer.from(shipmentId, "utf8")) !== m[1]) return undefined
  const given = Buffer.from(m[2]!, "base64url")
  // One spelling per MAC: the last character's unused bits must be 0.
  if (b64url(given) !== m[2]) return undefined
  const expected = macOf(key, shipmentId)
  return given.length === expected.length && timingSafeEqual(given, expected) ? shipmentId : undefined
}

/** The URL of a shipment's QR image under the public base URL. */
export const urlFor = (publicUrl: string, key: Uint8Array, shipmentId: string): string =>
  `${publicUrl}/qr/${tokenFor(key, shipmentId)}.png`

/** Why `KAITUAN_QR_SECRET` is unusable, or undefined. */
export const secretProblem = (secret: string | undefined): string | undefined =>
  secret === undefined || secret === "" || secret.length >= MIN_SECRET_LENGTH
    ? undefined
    : `KAITUAN_QR_SECRET must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -base64 33)`

const KeyMade = Schema.Struct({ key: Schema.String })

/**
 * The signing key: `KAITUAN_QR_SECRET`'s bytes, else the key kept in the database (made on first
 * use; two servers starting at once agree on the first one written).
 */
export const loadKey = (
  secret: string | undefined
): Effect.Effect<Uint8Array, Storage.StorageError, Storage.Storage> =>
  secret !== undefined && secret !== ""
    ? Effect.succeed(new Uint8Array(Buffer.from(secret, "utf8")))
    : Effect.gen(function* () {
        const storage = yield* Storage.Storage
        const read = Effect.map(storage.readStream(KEY_STREAM), (r) => {
          const first = r.events[0]
          return first === undefined ? undefined : Schema.decodeUnknownSync(KeyMade)(first.data).key
        })
        const kept = yield* read
        if (kept !== undefined) return new Uint8Array(Buffer.from(kept, "base64"))
        const made = randomBytes(32).toString("base64")
        const wrote = yield* Effect.result(
          storage.commit([
            {
              appends: [
                {
                  stream: KEY_STREAM,
                  expectedVersion: 0,
                  events: [{ type: "QrKeyMade", data: { key: made }, at: new Date().toISOString() }]
                }
              ],
              views: [],
              outbox: []
            }
          ])
        )
        // Another server wrote one first: use that one.
        const key = wrote._tag === "Success" ? made : yield* read
        return new Uint8Array(Buffer.from(key ?? made, "base64"))
      })

/** A PNG of the QR code of `code`. */
export const png = (code: string): Promise<Buffer> =>
  QRCode.toBuffer(code, { type: "png", errorCorrectionLevel: "M", margin: 2, width: 480 })

const decodeShipment = Schema.decodeUnknownSync(Shipment.Event)

const notFound = (): Reply => ({
  ...text(404, "not found"),
  headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }
})

/** `GET /qr/<token>.png`: the QR image of a pickup still waiting at the meet-up, else 404. */
export const image = (
  key: Promise<Uint8Array>,
  token: string
): Effect.Effect<Reply, Storage.StorageError, Storage.Storage> =>
  Effect.gen(function* () {
    const shipmentId = verifyToken(yield* Effect.promise(() => key), token)
    if (shipmentId === undefined) return { ...notFound(), note: "bad token" }
    const storage = yield* Storage.Storage
    const { events } = yield* storage.readStream(Storage.shipmentStream(shipmentId))
    const state = Shipment.fold(events.map((e) => decodeShipment(e.data)))
    if (state.method !== "pickup" || state.status !== "shipped" || state.pickupCode === undefined) return notFound()
    const code = state.pickupCode
    const bytes = yield* Effect.promise(() => png(code))
    return {
      status: 200,
      headers: { "content-type": "image/png", "cache-control": "private, no-store" },
      body: new Uint8Array(bytes)
    }
  })

/**
 * The adapter, its `pickup-ready` messages carrying the QR image's URL (`imageUrl`) when the host
 * has a public URL; every other message as it was.
 */
export const withQr = (
  adapter: ChannelAdapter.ChannelAdapterService,
  publicUrl: string | undefined,
  key: Promise<Uint8Array>
): ChannelAdapter.ChannelAdapterService =>
  publicUrl === undefined
    ? adapter
    : {
        ...adapter,
        send: (message: Notification.OutboundMessage) => {
          const shipmentId = message.data["shipmentId"]
          if (
            message.kind !== "pickup-ready" ||
            typeof shipmentId !== "string" ||
            message.data["pickupCode"] === undefined
          )
            return adapter.send(message)
          return Effect.flatMap(
            Effect.promise(() => key),
            (k) => adapter.send({ ...message, imageUrl: urlFor(publicUrl, k, shipmentId) })
          )
        }
      }
