/**
 * The whole carrier flow through core's Fulfilment use cases, with ECPay logistics against the
 * local stand-in, on the in-memory storage and on SQLite: pack → the buyer picks a store →
 * the carrier order (once, however often asked) → status notifications (verified, each applied
 * once) → the buyer's messages; an unclaimed parcel is flagged to the organiser.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import {
  CommandHandler,
  Fulfilment,
  Http,
  IdGenerator,
  type Notification,
  Order,
  Shipment,
  Storage
} from "@kaituan/core"
import { Database } from "@kaituan/storage-sql"
import { Effect, Layer, Redacted, Schema } from "effect"
import { ECPayLogistics, StoreMap } from "../src/index.js"
import * as StandIn from "./support/StandIn.js"

const store = {
  carrier: "familymart" as const,
  storeId: "006598",
  storeName: "全家台北信義店",
  address: "台北市信義區松仁路100號"
}
const receiver = { name: "王小明", cellPhone: "0911222333" }
const other = { hashKey: Redacted.make("AAAAAAAAAAAAAAAA"), hashIV: Redacted.make("BBBBBBBBBBBBBBBB") }

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "kaituan-logistics-"))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const logisticsLayer = (standIn: StandIn.StandIn) =>
  ECPayLogistics.layer({
    merchantId: StandIn.C2C.merchantId,
    hashKey: StandIn.C2C.keys.hashKey,
    hashIV: StandIn.C2C.keys.hashIV,
    notifyUrl: "https://shop.example/logistics/ecpay/notify",
    storeReplyUrl: "https://shop.example/logistics/ecpay/store",
    sender: { name: "阿明團購", cellPhone: "0912345678" },
    apiBaseUrl: standIn.url
  })

const appLayer = (standIn: StandIn.StandIn, storage: Layer.Layer<Storage.Storage, unknown>) =>
  Fulfilment.layer({ storeMapUrl: (id) => `https://shop.example/logistics/map/${id}` }).pipe(
    Layer.provideMerge(Layer.mergeAll(storage, logisticsLayer(standIn), IdGenerator.layerCounter))
  )

const orders = CommandHandler.aggregate(Order.decider, Schema.decodeUnknownSync(Order.Event))
const shipments = CommandHandler.aggregate(Shipment.decider, Schema.decodeUnknownSync(Shipment.Event))

/** A confirmed, paid order of 1,280 for a LINE buyer. */
const paidOrder = (orderId: string) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const at = "2024-05-01T04:00:00.000Z"
    yield* CommandHandler.handle(storage, orders, {
      stream: Storage.orderStream(orderId),
      command: {
        _tag: "Confirm",
        orderId,
        roundId: "mango",
        buyerId: "line:U1234",
        buyer: { id: "U1234", name: "小明" },
        lines: [{ sku: "MANGO", qty: 2, unitPrice: 640 }],
        at
      },
      at
    })
    yield* CommandHandler.handle(storage, orders, {
      stream: Storage.orderStream(orderId),
      command: { _tag: "ApplyPayment", paymentId: `p-${orderId}`, amount: 1280, at },
      at
    })
  })

/** The messages queued since the last call (claimed and acknowledged, like a relay). */
const drain = Effect.gen(function* () {
  const storage = yield* Storage.Storage
  const entries = yield* storage.claimOutbox({ limit: 100, leaseMs: 60_000 })
  yield* storage.ackOutbox(entries.map((e) => e.message.id))
  return entries.map((e) => e.message)
})

const shipmentState = (shipmentId: string) =>
  Effect.flatMap(Storage.Storage, (storage) =>
    CommandHandler.load(storage, shipments, Storage.shipmentStream(shipmentId))
  )

const kinds = (messages: ReadonlyArray<Notification.OutboundMessage>) => messages.map((m) => m.kind)

const flow = (standIn: StandIn.StandIn) =>
  Effect.gen(function* () {
    const fulfilment = yield* Fulfilment.Fulfilment
    const logistics = yield* ECPayLogistics.ECPayLogistics
    const orderId = `o-${Date.now().toString(36)}`
    yield* paidOrder(orderId)

    // 1. Packed for FamilyMart: the buyer is asked to choose a store.
    const { shipmentId, reference } = yield* fulfilment.pack({
      orderId,
      lines: [{ sku: "MANGO", qty: 2 }],
      carrier: "familymart"
    })
    const asked = yield* drain
    expect(kinds(asked)).toEqual(["choose-store"])
    expect(asked[0]?.to).toEqual({ channel: "line", userId: "U1234" })
    expect(asked[0]?.data.storeMapUrl).toBe(`https://shop.example/logistics/map/${shipmentId}`)

    // 2. The map link opens ECPay's store map with the reference; ECPay posts the choice back.
    const map = yield* fulfilment.storeMap({ shipmentId })
    expect(map.action).toBe(`${standIn.url}/Express/map`)
    expect(map.fields.MerchantTradeNo).toBe(reference)
    expect(map.fields.LogisticsSubType).toBe("FAMIC2C")
    const choice = yield* logistics.storeCallback(
      Http.request({ body: StoreMap.encodeReply(StandIn.C2C, reference, store) })
    )
    expect(yield* fulfilment.chooseStore(choice)).toEqual({ shipmentId, changed: true })
    expect(yield* fulfilment.chooseStore(choice)).toEqual({ shipmentId, changed: false })

    // 3. The carrier order: three concurrent asks and a late retry make one ECPay order.
    const before = standIn.requests.length
    const asks = yield* Effect.all(
      [1, 2, 3].map(() => fulfilment.createCarrierOrder({ shipmentId, receiver })),
      { concurrency: "unbounded" }
    )
    const retry = yield* fulfilment.createCarrierOrder({ shipmentId, receiver })
    expect(standIn.requests.length - before).toBe(1)
    const held = standIn.orders.get(reference)!
    expect(held.fields.ReceiverStoreID).toBe("006598")
    expect(held.fields.GoodsAmount).toBe("1280")
    expect(asks.filter((a) => a.created)).toHaveLength(1)
    for (const a of [...asks, retry]) expect(a.trackingNo).toBe(held.answer.CVSPaymentNo)
    expect(retry.created).toBe(false)
    const shipped = yield* drain
    expect(kinds(shipped)).toEqual(["shipped"])
    expect(shipped[0]?.data).toMatchObject({ trackingNo: held.answer.CVSPaymentNo, carrier: "全家" })

    // The label page of the order.
    const label = yield* fulfilment.printPage({ shipmentId })
    expect(label.action).toBe(`${standIn.url}/Express/PrintFAMIC2COrderInfo`)
    expect(label.fields.AllPayLogisticsID).toBe(held.answer.AllPayLogisticsID)

    // 4. Arrived at the store: the buyer is told to pick it up within 7 days.
    const arrived = standIn.statusBody(reference, "3018", "到店尚未取貨，簡訊通知取件", "2024/05/03 10:00:00")
    const update = yield* logistics.statusCallback(Http.request({ body: arrived }))
    expect(yield* fulfilment.applyStatus(update)).toEqual({ shipmentId, outcome: "applied" })
    const atStore = yield* drain
    expect(kinds(atStore)).toEqual(["arrived-at-store"])
    expect(atStore[0]?.data).toMatchObject({
      until: "2024/05/10（五）",
      place: "全家 全家台北信義店（台北市信義區松仁路100號）"
    })

    // 5. The same notification again changes nothing.
    const version = (yield* shipmentState(shipmentId)).version
    const again = yield* logistics.statusCallback(Http.request({ body: arrived }))
    expect(yield* fulfilment.applyStatus(again)).toEqual({ shipmentId, outcome: "duplicate" })
    expect((yield* shipmentState(shipmentId)).version).toBe(version)
    expect(yield* drain).toEqual([])

    // 6. Forged and tampered notifications are refused before anything is read: nothing changes.
    const forged = standIn.statusBody(reference, "3022", "買家已到店取貨", "2024/05/04 10:00:00", { keys: other })
    const tampered = new URLSearchParams(standIn.statusBody(reference, "3018", "到店尚未取貨", "2024/05/04 10:00:00"))
    tampered.set("RtnCode", "3022")
    for (const body of [forged, tampered.toString()]) {
      const refused = yield* Effect.flip(logistics.statusCallback(Http.request({ body })))
      expect(refused.reason).toBe("unauthorized")
      expect(logistics.acknowledge(false).body).toBe("0|ErrorMessage")
    }
    expect((yield* shipmentState(shipmentId)).version).toBe(version)
    expect(yield* drain).toEqual([])

    // 7. Picked up: the buyer is thanked.
    const picked = yield* logistics.statusCallback(
      Http.request({ body: standIn.statusBody(reference, "3022", "買家已到店取貨", "2024/05/05 18:00:00") })
    )
    expect(yield* fulfilment.applyStatus(picked)).toEqual({ shipmentId, outcome: "applied" })
    expect(kinds(yield* drain)).toEqual(["picked-up"])
    expect((yield* shipmentState(shipmentId)).state.status).toBe("picked-up")
    expect(logistics.acknowledge(true).body).toBe("1|OK")

    // 8. Another parcel is never collected: returned as unclaimed and flagged to the organiser.
    const second = yield* fulfilment
      .pack({ orderId, lines: [{ sku: "MANGO", qty: 0 + 1 }], carrier: "familymart" })
      .pipe(Effect.flip)
    // The order shipped all its lines already: a second parcel of it is refused.
    expect(second._tag).toBe("GroupBuyError")
    const order2 = `${orderId}-2`
    yield* paidOrder(order2)
    const lost = yield* fulfilment.pack({ orderId: order2, lines: [{ sku: "MANGO", qty: 2 }], carrier: "familymart" })
    const reply = yield* logistics.storeCallback(
      Http.request({ body: StoreMap.encodeReply(StandIn.C2C, lost.reference, store) })
    )
    yield* fulfilment.chooseStore(reply)
    yield* fulfilment.createCarrierOrder({ shipmentId: lost.shipmentId, receiver })
    for (const [code, date] of [
      ["3018", "2024/05/03 10:00:00"],
      ["3020", "2024/05/11 09:00:00"]
    ] as const) {
      const u = yield* logistics.statusCallback(
        Http.request({ body: standIn.statusBody(lost.reference, code, "", date) })
      )
      yield* fulfilment.applyStatus(u)
    }
    expect((yield* shipmentState(lost.shipmentId)).state).toMatchObject({
      status: "returned",
      returnReason: "unclaimed"
    })
    const flagged = yield* fulfilment.unclaimedReturns()
    expect(flagged).toEqual([
      {
        shipmentId: lost.shipmentId,
        orderId: order2,
        carrier: "familymart",
        trackingNo: standIn.orders.get(lost.reference)?.answer.CVSPaymentNo,
        carrierCode: "3020",
        at: "2024-05-11T01:00:00.000Z"
      }
    ])
    // The organiser is flagged; the buyer gets no message for it.
    expect(kinds(yield* drain)).toEqual(["choose-store", "shipped", "arrived-at-store"])
    yield* fulfilment.resolveUnclaimed({ shipmentId: lost.shipmentId })
    expect(yield* fulfilment.unclaimedReturns()).toEqual([])

    // 9. An earlier attempt reached ECPay but was never recorded (the process stopped in between):
    //    the next one is refused as a duplicate reference, naming it; still one ECPay order.
    const order3 = `${orderId}-3`
    yield* paidOrder(order3)
    const stray = yield* fulfilment.pack({ orderId: order3, lines: [{ sku: "MANGO", qty: 1 }], carrier: "familymart" })
    yield* fulfilment.chooseStore(
      yield* logistics.storeCallback(Http.request({ body: StoreMap.encodeReply(StandIn.C2C, stray.reference, store) }))
    )
    yield* logistics.createShipment({
      reference: stray.reference,
      carrier: "familymart",
      store,
      receiver,
      goodsAmount: 640,
      goodsName: "團購商品"
    })
    const refused = yield* Effect.flip(fulfilment.createCarrierOrder({ shipmentId: stray.shipmentId, receiver }))
    expect(refused._tag === "GroupBuyError" && refused.reason).toBe("rejected")
    expect(refused.message).toContain(stray.reference)
    expect(standIn.requests.filter((r) => r.MerchantTradeNo === stray.reference)).toHaveLength(2)
    expect(standIn.orders.has(stray.reference)).toBe(true)
    expect((yield* shipmentState(stray.shipmentId)).state.status).toBe("packed")
    expect(kinds(yield* drain)).toEqual(["choose-store"])
  })

/** The flow against a fresh stand-in (its own orders) over this storage. */
const run = (storage: () => Layer.Layer<Storage.Storage, unknown>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => StandIn.start(StandIn.C2C)),
    (standIn) => Effect.provide(flow(standIn), appLayer(standIn, storage())),
    (standIn) => Effect.promise(() => standIn.close())
  )

describe("the carrier flow through Fulfilment and ECPay logistics", () => {
  it.live("on the in-memory storage", () => run(() => Storage.layerMemory))
  it.live("on SQLite", () => run(() => Database.layerFromUrl(path.join(dir, "kaituan.db")).pipe(Layer.orDie)))
})
