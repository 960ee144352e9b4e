/**
 * ECPay logistics on `kaituan serve`: the API packs a paid order for FamilyMart and the buyer is
 * sent the store-map link (built from KAITUAN_PUBLIC_URL), the map page posts ECPay's form, the
 * store reply is verified and recorded, the API creates the carrier order once (against a local
 * stand-in of `/Express/Create` that checks the MD5 CheckMacValue), and status notifications are
 * answered `1|OK` (applied once, the buyer told) or `0|ErrorMessage` (forged: nothing changes).
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { CommandHandler, FormBody, Order, Storage } from "@kaituan/core"
import { StatusNotification, StoreMap } from "@kaituan/logistics-ecpay"
import { CheckMacValue } from "@kaituan/payments-ecpay"
import { Effect, Redacted, Schema } from "effect"
import { eventually, post, startFull } from "./serveSupport.js"

/** ECPay's public C2C logistics stage merchant (protocols.md §6.1). */
const C2C = { merchantId: "2000933", hashKey: "XBERn1YOvpM9nfZc", hashIV: "h1ONHk4P4yqbl5LK" }
const keys = { hashKey: Redacted.make(C2C.hashKey), hashIV: Redacted.make(C2C.hashIV) }
const store = {
  carrier: "familymart" as const,
  storeId: "006598",
  storeName: "全家台北信義店",
  address: "台北市信義區"
}

/** `/Express/Create` as ECPay documents it: checks the MAC, one order per MerchantTradeNo, answers `1|…` signed. */
const createStandIn = async () => {
  const orders = new Map<string, Record<string, string>>()
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const f = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")))
      const reply = (text: string) => res.writeHead(200, { "content-type": "text/plain" }).end(text)
      if (!CheckMacValue.verify(f, keys, "md5")) return reply("0|CheckMacValue Error")
      const no = f.MerchantTradeNo ?? ""
      if (orders.has(no)) return reply("0|MerchantTradeNo 重複")
      const id = String(1718546 + orders.size)
      const answer = CheckMacValue.sign(
        {
          MerchantID: C2C.merchantId,
          MerchantTradeNo: no,
          RtnCode: "300",
          RtnMsg: "訂單處理中",
          AllPayLogisticsID: id,
          CVSPaymentNo: `${id}0001`,
          CVSValidationNo: ""
        },
        keys,
        "md5"
      )
      orders.set(no, answer)
      reply(`1|${FormBody.encodeForm(answer)}`)
    })
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    orders,
    close: () => new Promise<void>((r) => server.close(() => r()))
  }
}

const orders = CommandHandler.aggregate(Order.decider, Schema.decodeUnknownSync(Order.Event))

let carrier: Awaited<ReturnType<typeof createStandIn>>
let f: Awaited<ReturnType<typeof startFull>>
beforeAll(async () => {
  carrier = await createStandIn()
  f = await startFull("logi", {
    env: {
      KAITUAN_PUBLIC_URL: "https://shop.example.com",
      ECPAY_LOGISTICS_MERCHANT_ID: C2C.merchantId,
      ECPAY_LOGISTICS_HASH_KEY: C2C.hashKey,
      ECPAY_LOGISTICS_HASH_IV: C2C.hashIV,
      ECPAY_LOGISTICS_SENDER_NAME: "阿明團購",
      ECPAY_LOGISTICS_SENDER_CELLPHONE: "0912345678",
      ECPAY_LOGISTICS_API_BASE: carrier.url
    }
  })
})
afterAll(async () => {
  await f.stop()
  await carrier.close()
})

const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${f.server.url}/api/v1${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${f.token}`, "content-type": "application/json" },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
  })

const lineSaid = (text: string) => f.line.accepted().some((a) => JSON.stringify(a.messages).includes(text))

describe("kaituan serve: ECPay logistics", () => {
  it("pack → store map → store reply → carrier order once → notifications applied once, forged ones refused", async () => {
    await f.server.run(
      Effect.gen(function* () {
        const storage = yield* Storage.Storage
        const at = "2024-05-01T04:00:00.000Z"
        const stream = Storage.orderStream("o-logi")
        yield* CommandHandler.handle(storage, orders, {
          stream,
          command: {
            _tag: "Confirm",
            orderId: "o-logi",
            roundId: "logi",
            buyerId: "line:U-buyer",
            buyer: { id: "U-buyer" },
            lines: [{ sku: "SOCK-R", qty: 2, unitPrice: 120 }],
            at
          },
          at
        })
        yield* CommandHandler.handle(storage, orders, {
          stream,
          command: { _tag: "ApplyPayment", paymentId: "p-logi", amount: 240, at },
          at
        })
      })
    )
    const packed = await api("/orders/o-logi/carrier-shipments", {
      body: { lines: [{ sku: "SOCK-R", qty: 2 }], carrier: "familymart" }
    })
    expect(packed.status).toBe(201)
    const { shipmentId, reference } = (await packed.json()) as { shipmentId: string; reference: string }
    const link = `https://shop.example.com/logistics/ecpay/map/${shipmentId}`
    await eventually(() => lineSaid(link))

    const map = await fetch(`${f.server.url}/logistics/ecpay/map/${shipmentId}`)
    expect(map.status).toBe(200)
    const html = await map.text()
    expect(html).toContain(`action="${carrier.url}/Express/map"`)
    expect(html).toContain('value="FAMIC2C"')
    expect(html).toContain("https://shop.example.com/logistics/ecpay/store")

    const forgedReply = StoreMap.encodeReply(
      { merchantId: C2C.merchantId, keys: { ...keys, hashKey: Redacted.make("x") } },
      reference,
      store
    )
    expect((await post(`${f.server.url}/logistics/ecpay/store`, forgedReply)).status).toBe(401)
    const chosen = await post(
      `${f.server.url}/logistics/ecpay/store`,
      StoreMap.encodeReply({ merchantId: C2C.merchantId, keys }, reference, store)
    )
    expect(chosen.status).toBe(200)
    expect(await chosen.text()).toContain("全家台北信義店")

    const receiver = { name: "王小明", cellPhone: "0911222333" }
    const made = await api(`/shipments/${shipmentId}/carrier-order`, { body: { receiver } })
    expect(made.status).toBe(200)
    const order = (await made.json()) as { trackingNo: string; created: boolean }
    expect(order).toMatchObject({ trackingNo: "17185460001", created: true })
    const again = (await (await api(`/shipments/${shipmentId}/carrier-order`, { body: { receiver } })).json()) as {
      created: boolean
    }
    expect(again.created).toBe(false)
    expect(carrier.orders.size).toBe(1)
    await eventually(() => lineSaid("17185460001"))
    const label = (await (await api(`/shipments/${shipmentId}/label`)).json()) as { action: string }
    expect(label.action).toBe(`${carrier.url}/Express/PrintFAMIC2COrderInfo`)

    const notify = (body: string) =>
      post(`${f.server.url}/logistics/ecpay/notify`, body, { "content-type": "application/x-www-form-urlencoded" })
    const fields = {
      MerchantID: C2C.merchantId,
      MerchantTradeNo: reference,
      RtnCode: "3018",
      RtnMsg: "到店尚未取貨",
      AllPayLogisticsID: "1718546",
      UpdateStatusDate: "2024/05/03 10:00:00",
      ReceiverName: "王小明"
    }
    const forged = await notify(
      StatusNotification.encode({ ...fields, RtnCode: "3022" }, { ...keys, hashIV: Redacted.make("x") })
    )
    expect([forged.status, await forged.text()]).toEqual([401, "0|ErrorMessage"])
    const arrived = await notify(StatusNotification.encode(fields, keys))
    expect([arrived.status, await arrived.text()]).toEqual([200, "1|OK"])
    await eventually(() => lineSaid("已送達門市"))
    const duplicate = await notify(StatusNotification.encode(fields, keys))
    expect([duplicate.status, await duplicate.text()]).toEqual([200, "1|OK"])
    const elsewhere = await notify(StatusNotification.encode({ ...fields, MerchantTradeNo: "NOTOURS1" }, keys))
    expect([elsewhere.status, await elsewhere.text()]).toEqual([200, "1|OK"])
    expect(f.line.accepted().filter((a) => JSON.stringify(a.messages).includes("已送達門市"))).toHaveLength(1)
    expect(await (await api("/logistics/unclaimed")).json()).toEqual([])
    // Nothing personal in the log lines.
    expect(f.logs.text()).not.toContain("王小明")
  })
})
